import ReplicastTransport
import ReplicastWire

/// A message being sent at an agreed rate from an agreed time: a Rendezvous Transfer on
/// reserved bandwidth. Fragments leave no earlier than `window.start` and the bytes sent by
/// time t never exceed `rate × (t − start)` plus one burst.
struct PacedTransfer {
    let fragmenter: Fragmenter
    let destination: Destination
    let window: RendezvousWindow
    /// Bytes allowed ahead of the rate line, so a burst fills one send batch.
    let burst: Int
    var next = 0
    var sentBytes = 0

    var isDone: Bool { next >= fragmenter.fragmentCount }

    /// Bytes of fragment `i` on the wire.
    func size(of i: Int) -> Int { fragmenter.headLength(of: i) + fragmenter.body(of: i).count }

    /// Bytes the rate allows by `now`.
    func allowance(at now: Instant) -> Int {
        guard now >= window.start else { return 0 }
        let elapsed = Double((now - window.start).nanoseconds) / 1e9
        return Int(min(Double(Int.max / 2), elapsed * Double(window.rate))) + burst
    }

    /// When the next fragment may leave.
    func nextDue() -> Instant {
        guard !isDone else { return window.start }
        let needed = sentBytes + size(of: next) - burst
        if needed <= 0 { return window.start }
        let seconds = Double(needed) / Double(max(window.rate, 1))
        return window.start + .nanoseconds(Int64(seconds * 1e9))
    }
}
