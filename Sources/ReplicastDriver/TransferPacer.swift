import ReplicastTransport
import ReplicastWire

/// Releases a Rendezvous Transfer's datagrams at its agreed rate: the promise of a
/// rendezvous window (patent claims 2 and 6) kept at the sender.
///
/// The bound, for a transfer queued at `q` with window start `s` and rate `r`, with
/// `start = max(s, q)`:
/// - no datagram is released before `start`;
/// - at any time `t ≥ start`, the bytes released (headers included) are at most
///   `r × (t − start) + burst`, where `burst = max(64 KiB, 2 × datagram size)`.
///
/// `burst` lets one release fill a send call (a few datagrams, one GSO super-packet) instead
/// of waking the sender once per datagram; it stays small against a switch port's buffer.
struct TransferPacer {
    let fragmenter: Fragmenter
    let destination: Destination
    /// When the rate line starts: the window's start, or the time the transfer was queued if
    /// that is later (a late transfer does not catch up in one burst).
    let start: Instant
    /// Bytes per second.
    let rate: UInt64
    /// Bytes allowed ahead of the rate line.
    let burst: Int
    private(set) var next = 0
    private(set) var releasedBytes = 0

    init(fragmenter: Fragmenter, destination: Destination, window: RendezvousWindow, queuedAt: Instant, burst: Int) {
        self.fragmenter = fragmenter
        self.destination = destination
        self.start = max(window.start, queuedAt)
        self.rate = max(window.rate, 1)
        self.burst = burst
    }

    /// The burst a transport of datagrams up to `maxDatagramSize` bytes is allowed.
    static func burst(maxDatagramSize: Int) -> Int { max(64 * 1024, 2 * maxDatagramSize) }

    var isDone: Bool { next >= fragmenter.fragmentCount }

    /// Bytes of datagram `i` on the wire.
    func size(of i: Int) -> Int { fragmenter.headLength(of: i) + fragmenter.body(of: i).count }

    /// Bytes the rate allows to have been released by `now`.
    func allowance(at now: Instant) -> Int {
        guard now >= start else { return 0 }
        let elapsed = Double((now - start).nanoseconds) / 1e9
        return Int(min(Double(Int.max / 2), elapsed * Double(rate))) + burst
    }

    /// Whether the next datagram may leave at `now`.
    func isDue(at now: Instant) -> Bool {
        !isDone && releasedBytes + size(of: next) <= allowance(at: now)
    }

    /// Marks the next datagram released; returns its index.
    mutating func release() -> Int {
        releasedBytes += size(of: next)
        defer { next += 1 }
        return next
    }

    /// When the next datagram may leave (nil when every datagram has).
    func nextDue() -> Instant? {
        guard !isDone else { return nil }
        let needed = releasedBytes + size(of: next) - burst
        if needed <= 0 { return start }
        let nanoseconds = (Double(needed) / Double(rate) * 1e9).rounded(.up)
        return start + .nanoseconds(Int64(nanoseconds))
    }
}
