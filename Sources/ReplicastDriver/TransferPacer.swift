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
    private(set) var start: Instant
    /// The agreed window's start and end: a transfer whose window starts at or after the
    /// end of an earlier one's waits for that one to be sent (`ProtocolDriver.fill`).
    let windowStart: Instant
    let windowEnd: Instant
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
        self.windowStart = window.start
        self.windowEnd = window.end
        self.rate = max(window.rate, 1)
        self.burst = burst
    }

    /// How far (in bytes) the rate line may run ahead of the bytes released before the
    /// sender gives up catching up: one burst, or 4 ms at the rate if more (the loop wakes a
    /// little late now and then; that much it makes up).
    var lagTolerance: Int { max(burst, Int(min(Double(Int.max / 4), Double(rate) * 0.004))) }

    /// A sender that was not scheduled for a while (a busy host) resumes at the rate
    /// instead of catching up in one burst: the rate line moves so that it leads the bytes
    /// released by at most `lagTolerance` (the transfer ends that much later). Before the
    /// first datagram, the line starts no earlier than `now` less the tolerance.
    mutating func forgiveLag(at now: Instant) {
        guard now > start else { return }
        let behind = Double((now - start).nanoseconds) / 1e9 * Double(rate) - Double(releasedBytes)
        let excess = behind - Double(lagTolerance)
        guard excess > 0 else { return }
        start = start + .nanoseconds(Int64(excess / Double(rate) * 1e9))
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

    /// Marks the next datagram released.
    mutating func release() {
        releasedBytes += size(of: next)
        next += 1
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
