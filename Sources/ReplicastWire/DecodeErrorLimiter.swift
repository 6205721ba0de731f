/// Decides when to report (log) a decode error: at most once per key (a source) per
/// interval, in bounded memory. Pure: the caller passes the time.
///
/// At most `capacity` keys are tracked. When that many keys were reported within the last
/// interval, errors from further keys are suppressed (and counted) until entries age out.
public struct DecodeErrorLimiter<Key: Hashable> {
    /// Least time between two reports for one key.
    public let interval: Duration
    /// Most keys tracked at once.
    public let capacity: Int
    /// Errors not reported so far.
    public private(set) var suppressed: UInt64 = 0

    private var lastReported: [Key: Instant] = [:]
    /// Before this time no tracked entry can have aged out, so a full table is not scanned.
    private var nextPurge = Instant.zero

    public init(interval: Duration, capacity: Int = 1024) {
        precondition(capacity > 0, "capacity must be positive")
        self.interval = interval
        self.capacity = capacity
        lastReported.reserveCapacity(capacity)
    }

    /// Whether an error from `key` at `now` should be reported; if so, it is recorded as
    /// reported.
    public mutating func shouldReport(_ key: Key, now: Instant) -> Bool {
        if let last = lastReported[key] {
            guard now - last >= interval else {
                suppressed &+= 1
                return false
            }
            lastReported[key] = now
            return true
        }
        if lastReported.count >= capacity, now >= nextPurge { purge(now: now) }
        guard lastReported.count < capacity else {
            suppressed &+= 1
            return false
        }
        lastReported[key] = now
        return true
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
