/// What identifies one message among all in flight: its header id and type code.
struct MessageKey: Hashable {
    var source: UInt32
    var sequence: UInt32
    var subsequence: UInt16
    var type: UInt8

    init(_ h: DatagramHeader) {
        source = h.id.source.rawValue
        sequence = h.id.sequence
        subsequence = h.id.subsequence
        type = h.type.rawValue
    }
}

/// The ids of recently completed messages, bounded in number and age: a ring in completion
/// order plus a set for lookup.
struct RecentMessages {
    private var ring: [(key: MessageKey, at: Instant)?]
    private var head = 0
    private var count = 0
    private var members = Set<MessageKey>()

    init(capacity: Int) {
        ring = Array(repeating: nil, count: max(capacity, 0))
        members.reserveCapacity(max(capacity, 0))
    }

    func contains(_ key: MessageKey) -> Bool { members.contains(key) }

    /// Remembers `key`, forgetting the oldest entry if full.
    mutating func insert(_ key: MessageKey, at now: Instant) {
        guard !ring.isEmpty else { return }
        if count == ring.count { removeOldest() }
        ring[(head + count) % ring.count] = (key, now)
        count += 1
        members.insert(key)
    }

    /// Forgets entries remembered `age` or longer before `now`.
    mutating func forget(olderThan age: Duration, now: Instant) {
        while count > 0, let oldest = ring[head], now - oldest.at >= age { removeOldest() }
    }

    private mutating func removeOldest() {
        if let oldest = ring[head] { members.remove(oldest.key) }
        ring[head] = nil
        head = (head + 1) % ring.count
        count -= 1
    }
}
