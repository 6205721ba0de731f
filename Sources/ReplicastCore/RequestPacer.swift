import ReplicastWire

/// Paces a client's unsolicited requests (Put Proposals, Get Requests) within its
/// unsolicited outbound allocation, and adapts the pace to how the network answers: an
/// unanswered request halves the rate (down to a floor), an answered one restores a
/// step of it. With the randomized back-off of retries this is the patent's Aloha-style
/// answer to contention for unsolicited bandwidth.
///
/// A token bucket in requests: a request may go when a token is there; one that finds
/// none is given the time the bucket will have refilled for it, so requests keep their
/// order.
public struct RequestPacer: Sendable {
    /// Requests per second allowed when nothing goes unanswered.
    public let nominalRate: Double
    /// The rate never falls below this.
    public let minimumRate: Double
    /// Requests that may go at once after a quiet spell.
    public let burst: Double
    /// Requests per second allowed now.
    public private(set) var rate: Double
    private var tokens: Double
    private var last: Instant?

    /// A pacer for `allocation` bytes per second of requests costing `requestCost` bytes each.
    public init(allocation: UInt64, requestCost: Int, burst: Int, minimumShare: Double = 1.0 / 64) {
        nominalRate = max(1, Double(allocation) / Double(max(requestCost, 1)))
        minimumRate = max(1, nominalRate * minimumShare)
        self.burst = Double(max(burst, 1))
        rate = nominalRate
        tokens = self.burst
    }

    /// Takes a place for one request at `now`: returns when it may be sent (`now`, or later
    /// if the rate is used up).
    public mutating func schedule(now: Instant) -> Instant {
        if let last, now > last {
            tokens = min(burst, tokens + Double((now - last).nanoseconds) / 1e9 * rate)
        }
        last = max(last ?? now, now)
        tokens -= 1
        guard tokens < 0 else { return now }
        return now + .nanoseconds(Int64((-tokens / rate * 1e9).rounded(.up)))
    }

    /// A request went unanswered: halve the rate.
    public mutating func unanswered() {
        rate = max(minimumRate, rate / 2)
    }

    /// A request was answered: restore a sixteenth of the nominal rate.
    public mutating func answered() {
        rate = min(nominalRate, rate + nominalRate / 16)
    }
}
