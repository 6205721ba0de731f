import ReplicastWire

/// A first-in first-out queue in front of a link of fixed rate with a finite buffer: a
/// sender's interface, or a switch's output port towards one node. Datagrams are served in
/// the order they are offered; one that would overflow the buffer is refused (dropped).
struct LinkQueue {
    /// Bytes per second.
    let bandwidth: UInt64
    /// Bytes that may wait.
    let bufferBytes: Int
    /// When the last accepted datagram has been sent.
    private(set) var busyUntil: Instant = .zero
    /// The largest backlog seen, bytes.
    private(set) var peakBacklog: Int = 0

    init(bandwidth: UInt64, bufferBytes: Int) {
        self.bandwidth = bandwidth
        self.bufferBytes = bufferBytes
    }

    /// Bytes waiting at `t`.
    func backlog(at t: Instant) -> Int {
        guard busyUntil > t else { return 0 }
        return Int(Double((busyUntil - t).nanoseconds) * Double(bandwidth) / 1e9)
    }

    /// Offers a datagram of `bytes` at `t` (calls must come in time order): returns when
    /// its last byte has left, or nil when it overflows the buffer.
    mutating func enqueue(_ bytes: Int, at t: Instant) -> Instant? {
        let waiting = backlog(at: t)
        guard waiting + bytes <= bufferBytes else { return nil }
        peakBacklog = max(peakBacklog, waiting + bytes)
        busyUntil = max(t, busyUntil) + .nanoseconds(Int64((Double(bytes) / Double(bandwidth) * 1e9).rounded(.up)))
        return busyUntil
    }

    /// Forgets the queue (the node behind it restarted).
    mutating func reset(at t: Instant) {
        busyUntil = min(busyUntil, t)
    }
}
