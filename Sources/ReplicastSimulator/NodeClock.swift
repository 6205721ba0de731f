import ReplicastWire

/// A node's real-time clock (CLOCK_REALTIME, which PTP or NTP keep roughly in step with
/// the others): the simulation's true virtual time seen through an offset and a drift.
/// The node's core and driver are handed only this clock's readings; the simulation
/// schedules events on true time, so a deadline the node sets on its own clock is
/// converted back (`trueTime(reading:)`) to fire when its clock reaches it.
///
/// reading(t) = t + offset + drift × (t − epoch), drift in parts per million; a clock
/// survives its node's crashes.
struct NodeClock: Sendable, Equatable {
    /// The clock's reading minus true time at `epoch`, nanoseconds.
    let offset: Int64
    /// How much faster than true time the clock runs, parts per million (negative: slower).
    let drift: Double
    /// The true time from which drift accumulates (the start of the run).
    let epoch: Instant

    init(offset: Duration = .zero, drift: Double = 0, epoch: Instant) {
        precondition(drift > -1e6, "a clock must move forwards")
        self.offset = offset.nanoseconds
        self.drift = drift
        self.epoch = epoch
    }

    /// Whether the clock reads true time exactly.
    var isExact: Bool { offset == 0 && drift == 0 }

    /// What the clock reads at true time `t` (never before zero). Non-decreasing in `t`.
    func reading(at t: Instant) -> Instant {
        if isExact { return t }
        let elapsed = Double(Int64(bitPattern: t.rawValue &- epoch.rawValue))
        let gained = (elapsed * drift / 1e6).rounded(.down)
        return Instant(nanoseconds: UInt64(max(0, Int64(t.rawValue) + offset + Int64(gained))))
    }

    /// The earliest true time at which the clock reads `reading` or later.
    func trueTime(reading: Instant) -> Instant {
        if isExact { return reading }
        // reading = t + offset + (t − epoch) × d  ⇒  t = (reading − offset + epoch × d) / (1 + d)
        let d = drift / 1e6
        let estimate = (Double(reading.rawValue) - Double(offset) + Double(epoch.rawValue) * d) / (1 + d)
        var t = Instant(nanoseconds: UInt64(max(0, estimate.rounded(.down))))
        // Correct the rounding: the estimate is within a few nanoseconds.
        while self.reading(at: t) < reading { t = Instant(nanoseconds: t.rawValue + 1) }
        while t.rawValue > 0, self.reading(at: Instant(nanoseconds: t.rawValue - 1)) >= reading {
            t = Instant(nanoseconds: t.rawValue - 1)
        }
        return t
    }
}
