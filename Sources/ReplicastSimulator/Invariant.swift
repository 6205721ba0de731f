import ReplicastWire

/// A property every run must keep. Each is judged by a checker (Checkers/), from what the
/// simulation observes.
public enum Invariant: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Every acknowledged put is readable, with the right content, while a designated
    /// replica survives (checked by the final verification gets; stores survive crashes).
    case acknowledgedPutsReadable = "acknowledged puts readable"
    /// A server that acknowledged a chunk has it in its store, flushed, at that moment.
    case acknowledgedPutsDurable = "acknowledged puts durable"
    /// A server sends a Payload ACK for a chunk only once its store holds the chunk flushed:
    /// a write that failed (an I/O error, a full store) is NAKed, never ACKed.
    case acknowledgementsFollowDurableWrites = "ACKs follow durable writes"
    /// No acknowledged chunk is lost: a server named as a holder still stores it after
    /// it crashed and restarted (what a crash loses is only what was not yet flushed).
    case acknowledgedChunksSurviveCrashes = "acknowledged chunks survive crashes"
    /// No get ever returns bytes other than those put under that hash.
    case getsReturnRightBytes = "gets return the right bytes"
    /// No server acts twice on one request (a retransmission is answered from the cache).
    case requestsActedOnOnce = "requests acted on once"
    /// A server's granted reservations never sum above its reserved inbound rate.
    case reservedIngressWithinAllocation = "reserved ingress within allocation"
    /// Every message the core asks to send can be encoded.
    case messagesEncodable = "messages encodable"
    /// Once the run is over and every pending timer has fired, no server keeps a
    /// transaction, a booking or a Rendezvous Group membership: work a vanished client (or a
    /// lost message) abandoned is released.
    case serversRelease = "servers release abandoned work"
    /// Every transaction finishes, and the run ends before its time limit.
    case transactionsFinish = "transactions finish"

    public var description: String { rawValue }
}

/// One broken invariant, with when and how.
public struct InvariantViolation: Sendable, Equatable, CustomStringConvertible {
    public var invariant: Invariant
    public var time: Instant
    public var detail: String

    public var description: String { "\(time) \(invariant): \(detail)" }
}
