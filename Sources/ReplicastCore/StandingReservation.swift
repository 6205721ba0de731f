import ReplicastWire

/// An indefinite reservation (the patent's alternative for small clusters): the servers
/// of a row keep `rate` of their reserved inbound bandwidth for one client permanently,
/// and the client puts without a proposal — it sends the chunk straight to the whole
/// Negotiating Group at that rate, as long as its chunks in flight stay within `credit`.
/// Off unless configured on both sides (`ClientConfiguration.standingReservation`,
/// `ServerConfiguration.standingReservations`).
public struct StandingReservation: Sendable, Equatable {
    /// Bytes per second kept for the client at every server.
    public var rate: UInt64
    /// Chunk bytes the client may have in flight without proposals.
    public var credit: UInt64

    public init(rate: UInt64, credit: UInt64) {
        self.rate = rate
        self.credit = credit
    }

}
