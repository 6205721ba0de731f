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
        var candidates = [notBefore] + reservations.map(\.window.end).filter { $0 > notBefore }
        candidates.sort()
        for start in candidates where fits(rate, from: start, to: start + needed) {
            return RendezvousWindow(start: start, duration: needed + freeSlack(rate, after: start + needed, upTo: slack), rate: rate)
        }
        // After every reservation the calendar is empty.
        let last = reservations.map(\.window.end).max() ?? notBefore
        return RendezvousWindow(start: max(last, notBefore), duration: needed + slack, rate: rate)
    }

    /// Whether `window` can be granted on top of the reservations held (none of which has
    /// the key `replacing`).
    public func canReserve(_ window: RendezvousWindow, replacing key: RequestID? = nil) -> Bool {
        var others = self
        if let key { others.release(key) }
        return window.rate <= reservedRate && others.fits(window.rate, from: window.start, to: window.end)
    }

    /// Whether `rate` more stays within the reserved rate throughout [from, to): the load
    /// only rises where a reservation starts, so it is checked there.
    private func fits(_ rate: UInt64, from: Instant, to: Instant) -> Bool {
        let points = [from] + reservations.map(\.window.start).filter { $0 > from && $0 < to }
        return points.allSatisfy { load(at: $0) + rate <= reservedRate }
    }

    /// How far, up to `slack`, `rate` more stays within the reserved rate after `end`.
    private func freeSlack(_ rate: UInt64, after end: Instant, upTo slack: Duration) -> Duration {
        let blocked = reservations.map(\.window.start)
            .filter { $0 >= end && $0 < end + slack && load(at: $0) + rate > reservedRate }
            .min()
        return blocked.map { $0 - end } ?? slack
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
        reservations.contains { load(at: $0.window.start) > reservedRate }
    }
}
