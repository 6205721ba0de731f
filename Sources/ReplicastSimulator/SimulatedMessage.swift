import ReplicastCore
import ReplicastWire

/// One message in flight: what the core asked to send, and its fragments as the real
/// `Fragmenter` would cut them (the bytes themselves are not materialized).
final class SimulatedMessage {
    let sender: NodeID
    /// The sender's incarnation when it sent: a crash abandons what had not left yet.
    let senderIncarnation: Int
    let outbound: Outbound
    let generation: UInt32
    let fragmentCount: Int
    let messageLength: Int
    private let stride: Int

    /// Cuts `outbound` for datagrams of at most `mtu` bytes; throws what the encoder throws
    /// (a message the wire cannot carry).
    init(_ outbound: Outbound, sender: NodeID, incarnation: Int, generation: UInt32, mtu: Int) throws {
        let envelope = Envelope(kind: outbound.kind, id: outbound.id, generation: generation, message: outbound.message)
        let fragmenter = try Fragmenter(envelope: envelope, maxDatagramSize: mtu)
        self.sender = sender
        self.senderIncarnation = incarnation
        self.outbound = outbound
        self.generation = generation
        self.fragmentCount = fragmenter.fragmentCount
        self.messageLength = fragmenter.messageLength
        self.stride = fragmenter.stride
    }

    /// Bytes of datagram `index` on the wire (header included).
    func size(of index: Int) -> Int {
        WireFormat.headerSize + min(stride, messageLength - index * stride)
    }

    /// Whether this message carries chunk bytes on reserved bandwidth.
    var isTransfer: Bool {
        if case .rendezvousTransfer = outbound.message { return true }
        return false
    }

    /// The message as the receiving core sees it.
    var inbound: Inbound {
        Inbound(kind: outbound.kind, id: outbound.id, generation: generation, message: outbound.message)
    }

    /// What identifies the message to a reassembler: its id and wire type.
    var key: MessageIdentity {
        MessageIdentity(id: outbound.id, type: outbound.message.wireType.rawValue)
    }
}

/// A message's id and wire type, as a reassembler keys fragments.
struct MessageIdentity: Hashable {
    var id: RequestID
    var type: UInt8
}
