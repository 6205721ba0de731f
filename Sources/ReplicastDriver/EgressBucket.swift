import ReplicastWire

/// A node's reserved outbound rate, kept over all its Rendezvous Transfers together: a
/// token bucket that every paced datagram also draws from.
///
/// Each transfer is paced at its own window's rate (`TransferPacer`), and a client books its
/// transfers so that their windows never sum above its reserved outbound rate. But a sender
/// that was not scheduled for a while (a busy host) finds its transfers behind their rate
/// lines, and a transfer that ends late overlaps the next one's window: without this
/// bucket they would all catch up at once, a burst that overflows the link's queue (a
/// `tbf` qdisc dropped hundreds of datagrams so on a shared 2-core host). With it the node
/// never sends transfers faster than `rate` beyond `depth` bytes, whatever its pacers allow.
struct EgressBucket {
    /// Bytes per second.
    let rate: UInt64
    /// The most bytes that may leave at once after a pause.
    let depth: Int
    private var tokens: Double
    private var updated: Instant

    /// A bucket at `rate` holding `depth` (at least `minimumDepth`; by default 4 ms at the
    /// rate), full.
    init(rate: UInt64, minimumDepth: Int, now: Instant = .zero) {
        self.rate = max(rate, 1)
        self.depth = max(minimumDepth, Int(min(Double(Int.max / 4), Double(self.rate) * 0.004)))
        self.tokens = Double(depth)
        self.updated = now
    }

    /// Adds what `rate` has earned since the last refill, up to `depth`.
    mutating func refill(now: Instant) {
        guard now > updated else { return }
        let elapsed = Double((now - updated).nanoseconds) / 1e9
        tokens = min(Double(depth), tokens + elapsed * Double(rate))
        updated = now
    }

    /// Whether `bytes` may leave now (after `refill`).
    func allows(_ bytes: Int) -> Bool { tokens >= Double(min(bytes, depth)) }

    mutating func spend(_ bytes: Int) { tokens -= Double(bytes) }

    /// When `bytes` may leave.
    func due(_ bytes: Int) -> Instant {
        let missing = Double(min(bytes, depth)) - tokens
        guard missing > 0 else { return updated }
        return updated + .nanoseconds(Int64((missing / Double(rate) * 1e9).rounded(.up)))
    }
}
