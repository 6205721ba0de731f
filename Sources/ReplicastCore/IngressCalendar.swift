import ReplicastWire

/// A server's reservation calendar for its reserved inbound bandwidth.
///
/// It offers a window only where the sum of the rates of all granted reservations stays
/// within the reserved inbound rate at every instant; the storage write queue pushes the
/// earliest start back. Reservations not used by the end of their window expire.
public struct IngressCalendar: Sendable {
    /// One granted reservation.
    public struct Reservation: Sendable, Equatable {
        public var key: RequestID
        public var window: RendezvousWindow
        /// When it is dropped if no transfer used it.
        public var expiry: Instant
    }

    /// Reserved inbound rate, bytes per second.
    public var reservedRate: UInt64
    public private(set) var reservations: [Reservation] = []

    public init(reservedRate: UInt64) {
        self.reservedRate = reservedRate
    }

    /// Sum of the rates of the reservations active at `t`.
    public func load(at t: Instant) -> UInt64 {
        reservations.reduce(0) { $0 + (($1.window.start <= t && t < $1.window.end) ? $1.window.rate : 0) }
    }

    /// The earliest window of `bytes` at up to `maxRate`, starting no earlier than `notBefore`,
    /// that keeps the total within `reservedRate`. The window lasts up to `slack` longer
    /// than the transfer needs, as far as the calendar is free, so that a sender may start
    /// that much late and still fit in it.
    public func earliestWindow(notBefore: Instant, bytes: UInt64, maxRate: UInt64, slack: Duration = .zero) -> RendezvousWindow {
        let rate = max(1, min(maxRate, reservedRate))
        let needed = Duration.nanoseconds(Int64(Double(bytes) / Double(rate) * 1e9) + 1)
        let steps = profile(after: notBefore)
        // The load only falls where a reservation ends, so the earliest start is `notBefore`
        // or one of those ends.
        var candidates = [notBefore] + reservations.map(\.window.end).filter { $0 > notBefore }
        candidates.sort()
        for start in candidates where steps.peak(from: start, to: start + needed) + rate <= reservedRate {
            let end = start + needed
            let blocked = steps.firstOver(reservedRate - rate, from: end, to: end + slack)
            return RendezvousWindow(start: start, duration: needed + (blocked.map { $0 - end } ?? slack), rate: rate)
        }
        // After every reservation the calendar is empty.
        let last = reservations.map(\.window.end).max() ?? notBefore
        return RendezvousWindow(start: max(last, notBefore), duration: needed + slack, rate: rate)
    }

    /// Whether `window` can be granted on top of the reservations held (less the one with
    /// the key `replacing`, which it would replace).
    public func canReserve(_ window: RendezvousWindow, replacing key: RequestID? = nil) -> Bool {
        var others = self
        if let key { others.release(key) }
        return window.rate <= reservedRate
            && others.profile(after: window.start).peak(from: window.start, to: window.end) + window.rate <= reservedRate
    }

    /// The load of the reservations that end after `t`, as steps.
    private func profile(after t: Instant) -> LoadProfile {
        LoadProfile(reservations.lazy.filter { $0.window.end > t }.map(\.window))
    }

    /// Grants a reservation (replacing one with the same key).
    public mutating func reserve(_ key: RequestID, _ window: RendezvousWindow, expiry: Instant) {
        release(key)
        reservations.append(Reservation(key: key, window: window, expiry: expiry))
    }

    /// Drops a reservation (used, declined or aborted).
    public mutating func release(_ key: RequestID) {
        reservations.removeAll { $0.key == key }
    }

    /// Drops reservations whose expiry has passed; returns their keys.
    public mutating func expire(now: Instant) -> [RequestID] {
        let gone = reservations.filter { $0.expiry <= now }.map(\.key)
        reservations.removeAll { $0.expiry <= now }
        return gone
    }

    /// Whether granted reservations exceed the reserved rate anywhere (an invariant check).
    public var isOverbooked: Bool {
        LoadProfile(reservations.map(\.window)).steps.contains { $0.load > reservedRate }
    }
}

/// The summed rate of a set of windows over time: a step function, zero before the first
/// step and after the last.
struct LoadProfile {
    /// From `time` until the next step's time, the load is `load`.
    private(set) var steps: [(time: Instant, load: UInt64)] = []

    init(_ windows: some Sequence<RendezvousWindow>) {
        var changes: [(time: Instant, delta: Int64)] = []
        for w in windows where w.end > w.start {
            changes.append((w.start, Int64(w.rate)))
            changes.append((w.end, -Int64(w.rate)))
        }
        changes.sort { $0.time < $1.time }
        var load: Int64 = 0
        for change in changes {
            load += change.delta
            if let last = steps.last, last.time == change.time {
                steps[steps.count - 1].load = UInt64(max(0, load))
            } else {
                steps.append((change.time, UInt64(max(0, load))))
            }
        }
    }

    /// Index of the last step at or before `t`, if any.
    private func step(at t: Instant) -> Int? {
        var low = 0, high = steps.count
        while low < high {
            let mid = (low + high) / 2
            if steps[mid].time <= t { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? nil : low - 1
    }

    /// The highest load within [from, to).
    func peak(from: Instant, to: Instant) -> UInt64 {
        var i = step(at: from) ?? -1
        var peak = i >= 0 ? steps[i].load : 0
        i += 1
        while i < steps.count && steps[i].time < to {
            peak = max(peak, steps[i].load)
            i += 1
        }
        return peak
    }

    /// The first time within [from, to) where the load rises above `limit`, if any.
    func firstOver(_ limit: UInt64, from: Instant, to: Instant) -> Instant? {
        var i = step(at: from) ?? -1
        if i >= 0 && steps[i].load > limit { return from }
        i += 1
        while i < steps.count && steps[i].time < to {
            if steps[i].load > limit { return steps[i].time }
            i += 1
        }
        return nil
    }
}
