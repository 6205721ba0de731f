/// A message with the header fields that travel with it in every datagram: what a sender
/// hands to a `Fragmenter` and what a `Reassembler` hands back.
public struct Envelope: Sendable, Equatable {
    /// Request, response or notification.
    public var kind: MessageKind
    /// This message's own identity: its source, that source's transaction sequence number
    /// and the sub-sequence number within the transaction. Responses name the request they
    /// answer in their metadata, not here.
    public var id: RequestID
    /// The sender's Distributed Hash Allocation Table generation (stale peers are detected
    /// from any datagram).
    public var generation: UInt32
    public var message: Message

    public init(kind: MessageKind, id: RequestID, generation: UInt32, message: Message) {
        self.kind = kind
        self.id = id
        self.generation = generation
        self.message = message
    }
}
