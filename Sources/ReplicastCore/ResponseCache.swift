import ReplicastWire

/// Responses already sent, by the request they answered, so that a retransmitted request
/// is answered again by replaying them instead of being acted on twice.
/// Bounded in size (oldest dropped first) and age.
public struct ResponseCache: Sendable {
    private struct Entry: Sendable {
        var responses: [Outbound]
        var time: Instant
    }

    public let capacity: Int
    public let maxAge: Duration
    private var entries: [RequestID: Entry] = [:]
    private var order: [RequestID] = []
    private var head = 0

    public init(capacity: Int = 4096, maxAge: Duration = .seconds(30)) {
        self.capacity = capacity
        self.maxAge = maxAge
    }

    public var count: Int { entries.count }

    /// Whether `request` was seen (answered or in progress).
    public func contains(_ request: RequestID) -> Bool { entries[request] != nil }

    /// The cached responses for `request`, if it was seen and is not too old.
    public func responses(for request: RequestID, now: Instant) -> [Outbound]? {
        guard let e = entries[request], now - e.time <= maxAge else { return nil }
        return e.responses
    }

    /// Marks `request` as seen (with no response yet).
    public mutating func begin(_ request: RequestID, now: Instant) {
        guard entries[request] == nil else { return }
        entries[request] = Entry(responses: [], time: now)
        order.append(request)
        trim()
    }

    /// Records a response sent for `request`.
    public mutating func record(_ response: Outbound, for request: RequestID, now: Instant) {
        begin(request, now: now)
        entries[request]!.responses.append(response)
    }

    private mutating func trim() {
        while entries.count > capacity, head < order.count {
            entries[order[head]] = nil
            head += 1
        }
        if head > 1024 && head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}
