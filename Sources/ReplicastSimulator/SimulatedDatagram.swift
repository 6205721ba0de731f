import ReplicastCore
import ReplicastTransport
import ReplicastWire

/// One datagram on the simulated wire: the bytes a driver released, and who sent them where.
final class SimulatedDatagram {
    let sender: NodeID
    let destination: Destination
    let bytes: [UInt8]
    /// The header's message type and id, for tracing and counting (nil if the bytes do not
    /// parse, which the driver never produces).
    let header: DatagramHeader?

    init(sender: NodeID, destination: Destination, bytes: [UInt8]) {
        self.sender = sender
        self.destination = destination
        self.bytes = bytes
        self.header = bytes.withUnsafeBytes { try? DatagramHeader(parsing: $0) }
    }

    /// Whether this datagram carries chunk bytes on reserved bandwidth.
    var isTransfer: Bool { header?.type.isTransfer ?? false }

    var summary: String {
        guard let h = header else { return "\(bytes.count) bytes" }
        return "\(h.type) \(h.id) fragment \(h.fragmentIndex)/\(h.fragmentCount)"
    }
}
