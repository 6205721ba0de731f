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
    /// that keeps the total within `reservedRate`.
    public func earliestWindow(notBefore: Instant, bytes: UInt64, maxRate: UInt64) -> RendezvousWindow {
        let rate = max(1, min(maxRate, reservedRate))
        let duration = Duration.nanoseconds(Int64(Double(bytes) / Double(rate) * 1e9) + 1)
        var candidates = [notBefore] + reservations.map(\.window.end).filter { $0 > notBefore }
        candidates.sort()
        for start in candidates {
            let end = start + duration
            // Peak load inside [start, end): check at start and at every reservation start inside.
            let points = [start] + reservations.map(\.window.start).filter { $0 > start && $0 < end }
            if points.allSatisfy({ load(at: $0) + rate <= reservedRate }) {
                return RendezvousWindow(start: start, duration: duration, rate: rate)
            }
        }
        // After every reservation the calendar is empty.
        let last = reservations.map(\.window.end).max() ?? notBefore
        return RendezvousWindow(start: max(last, notBefore), duration: duration, rate: rate)
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
