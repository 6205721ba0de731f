import ReplicastCore
import ReplicastWire

/// What a driver asks of its host besides sending datagrams: group membership changes on
/// the transport, and the core's role-specific effects (storage requests, outcomes).
public enum DriverOutput<Effect: Sendable & Equatable>: Sendable, Equatable {
    /// Receive datagrams sent to this multicast group from now on.
    case join(GroupAddress)
    /// Stop receiving this group.
    case leave(GroupAddress)
    /// A server's storage request or a client's outcome.
    case effect(Effect)
}

/// What a driver counted.
public struct DriverStats: Sendable, Equatable {
    public var messagesSent: UInt64 = 0
    public var messagesReceived: UInt64 = 0
    public var datagramsReceived: UInt64 = 0
    public var datagramsSent: UInt64 = 0
    /// Rendezvous Transfers whose every datagram was released, and their message bytes.
    public var transfersSent: UInt64 = 0
    public var transferBytesSent: UInt64 = 0
    /// Datagrams that failed validation or decoding (dropped before any protocol state).
    public var decodeErrors: UInt64 = 0
    /// Messages the core asked for that could not be encoded.
    public var encodeErrors: UInt64 = 0
    /// Messages to a participant whose endpoint is not known yet.
    public var unroutable: UInt64 = 0
    /// Incomplete messages given up by reassembly.
    public var incompleteMessages: UInt64 = 0
    public init() {}
}
