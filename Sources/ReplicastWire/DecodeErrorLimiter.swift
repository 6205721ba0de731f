/// Decides when to report (log) a decode error: at most once per key (a source) per
/// interval, and at most `budget` reports per interval in all, whatever the number of
/// sources, in bounded memory. Pure: the caller passes the time.
///
/// At most `capacity` keys are tracked. When that many keys were reported within the last
/// interval, errors from further keys are suppressed (and counted) until entries age out.
public struct DecodeErrorLimiter<Key: Hashable> {
    /// Least time between two reports for one key.
    public let interval: Duration
    /// Most keys tracked at once.
    public let capacity: Int
    /// Most reports per interval, over every key.
    public let budget: Int
    /// Errors not reported so far.
    public private(set) var suppressed: UInt64 = 0
    /// Errors suppressed since the last `takeUnreported()`.
    private var unreported: UInt64 = 0
    private var budgetWindowStart = Instant.zero
    private var reportsInWindow = 0

    private var lastReported: [Key: Instant] = [:]
    /// Before this time no tracked entry can have aged out, so a full table is not scanned.
    private var nextPurge = Instant.zero

    public init(interval: Duration, capacity: Int = 1024, budget: Int = 20) {
        precondition(capacity > 0 && budget > 0, "capacity and budget must be positive")
        self.interval = interval
        self.capacity = capacity
        self.budget = budget
        lastReported.reserveCapacity(capacity)
    }

    /// Whether an error from `key` at `now` should be reported; if so, it is recorded as
    /// reported.
    public mutating func shouldReport(_ key: Key, now: Instant) -> Bool {
        if now - budgetWindowStart >= interval {
            budgetWindowStart = now
            reportsInWindow = 0
        }
        guard reportsInWindow < budget else { return suppress() }
        if let last = lastReported[key] {
            guard now - last >= interval else { return suppress() }
        } else {
            if lastReported.count >= capacity, now >= nextPurge { purge(now: now) }
            guard lastReported.count < capacity else { return suppress() }
        }
        lastReported[key] = now
        reportsInWindow += 1
        return true
    }

    /// The errors suppressed since the last call (for a summary line), and resets that count.
    public mutating func takeUnreported() -> UInt64 {
        defer { unreported = 0 }
        return unreported
    }

    private mutating func suppress() -> Bool {
        suppressed &+= 1
        unreported &+= 1
        return false
    }

    /// Drops keys whose interval has passed; schedules the next purge for when the oldest
    /// remaining key's interval ends.
    private mutating func purge(now: Instant) {
        lastReported = lastReported.filter { now - $0.value < interval }
        let oldest = lastReported.values.min() ?? now
        nextPurge = oldest + interval
    }
}

extension DecodeErrorLimiter: Sendable where Key: Sendable {}
