import ReplicastWire

/// A smoothed round-trip time (RFC 6298 style: SRTT and RTTVAR with gains 1/8 and 1/4), from
/// which waits are derived: how long a client collects answers, how long a Negotiating Group
/// member waits for its peers. Slow networks or hosts stretch the waits by themselves.
public struct RoundTripEstimator: Sendable, Equatable {
    public private(set) var smoothed: Duration?
    public private(set) var variation: Duration = .zero

    public init() {}

    /// Adds one measured round trip.
    public mutating func add(_ sample: Duration) {
        guard let s = smoothed else {
            smoothed = sample
            variation = sample / 2
            return
        }
        let deviation = s > sample ? s - sample : sample - s
        variation = variation * 0.75 + deviation * 0.25
        smoothed = s * 0.875 + sample * 0.125
    }

    /// A wait that covers nearly every round trip seen so far: SRTT + 4 RTTVAR, at least
    /// `floor`, at most `ceiling`; `initial` before the first sample (as RFC 6298's initial
    /// RTO: a fresh participant does not yet know how slow its network or peers are).
    public func timeout(floor: Duration, ceiling: Duration, initial: Duration) -> Duration {
        guard let s = smoothed else { return min(ceiling, max(floor, initial)) }
        return min(ceiling, max(floor, s + variation * 4))
    }
}
