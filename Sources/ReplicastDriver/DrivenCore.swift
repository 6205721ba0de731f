import ReplicastCore
import ReplicastWire

/// A sans-I/O protocol core that a `ProtocolDriver` runs: `ServerCore` or `ClientCore`.
///
/// The driver feeds it whole decoded messages, its own deadline and reports of messages
/// that stopped arriving midway, and carries out the actions it returns.
public protocol DrivenCore {
    /// What the role asks of its host beyond the network (storage requests, outcomes).
    associatedtype Effect: Sendable & Equatable

    /// This participant.
    var nodeID: NodeID { get }
    /// The table the core routes by (Negotiating Group addresses, generation).
    var table: AllocationTable { get }
    /// The earliest time `handleTimeout(now:)` must be called.
    var nextDeadline: Instant? { get }

    mutating func handle(_ inbound: Inbound, now: Instant)
    mutating func handleTimeout(now: Instant)
    mutating func pollActions() -> [Action<Effect>]
    /// A message addressed here lost fragments: reassembly gave up on it at `now`.
    mutating func messageIncomplete(_ message: IncompleteMessage, now: Instant)
}

extension ServerCore: DrivenCore {
    public var nodeID: NodeID { configuration.id }

    /// An incomplete Rendezvous Transfer is NAKed; other incomplete messages are retried by
    /// their senders' timers.
    public mutating func messageIncomplete(_ message: IncompleteMessage, now: Instant) {
        guard message.type.isTransfer else { return }
        transferIncomplete(message.id, now: now)
    }
}

extension ClientCore: DrivenCore {
    public var nodeID: NodeID { configuration.id }

    /// A get whose delivery lost fragments is retried by its own deadline.
    public mutating func messageIncomplete(_ message: IncompleteMessage, now: Instant) {}
}
