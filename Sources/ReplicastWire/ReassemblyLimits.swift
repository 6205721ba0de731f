/// Bounds on what a `Reassembler` accepts and holds.
public struct ReassemblyLimits: Sendable, Equatable {
    /// Largest message (metadata plus payload) accepted; longer ones are `.messageTooLarge`.
    public var maxMessageBytes: Int
    /// Hard bound on the memory held by incomplete messages: their buffers plus their
    /// fragment bitmaps. A message that would exceed it is `.reassemblyMemoryExhausted`.
    public var maxBufferedBytes: Int
    /// Most incomplete messages held at once; more are `.tooManyIncompleteMessages`.
    public var maxIncompleteMessages: Int
    /// An incomplete message that has received no fragment for this long is dropped by
    /// `expire(now:)`; a completed multi-fragment message's id is remembered this long so late
    /// duplicate fragments are discarded.
    public var timeout: Duration
    /// Most completed message ids remembered for duplicate detection.
    public var maxRecentlyCompleted: Int

    public init(
        maxMessageBytes: Int = 64 << 20, maxBufferedBytes: Int = 256 << 20,
        maxIncompleteMessages: Int = 256, timeout: Duration = .seconds(2), maxRecentlyCompleted: Int = 1024
    ) {
        self.maxMessageBytes = maxMessageBytes
        self.maxBufferedBytes = maxBufferedBytes
        self.maxIncompleteMessages = maxIncompleteMessages
        self.timeout = timeout
        self.maxRecentlyCompleted = maxRecentlyCompleted
    }
}

/// A message whose fragments stopped arriving, as reported by `Reassembler.expire(now:)`:
/// enough for the receiver to NAK it.
public struct IncompleteMessage: Sendable, Equatable {
    public var id: RequestID
    public var type: MessageType
    public var kind: MessageKind
    public var generation: UInt32
    public var receivedFragments: Int
    public var totalFragments: Int
    public var receivedBytes: Int
    public var messageLength: Int
    public var firstReceived: Instant
    public var lastReceived: Instant
    /// The message decoded from fragment 0's metadata with its bulk payload left empty (so a
    /// Rendezvous Transfer's request and content hash are known); nil if fragment 0 was not
    /// received or its metadata did not decode.
    public var metadata: Message?
}

/// What a `Reassembler` has done so far.
public struct ReassemblyCounters: Sendable, Equatable {
    /// Datagrams that passed header validation.
    public var datagramsAccepted: UInt64 = 0
    /// Messages delivered (single- and multi-fragment).
    public var messagesCompleted: UInt64 = 0
    /// Fragments discarded because they were already received, or belong to a message
    /// completed within the timeout.
    public var duplicatesDiscarded: UInt64 = 0
    /// Incomplete messages dropped by `expire(now:)`.
    public var messagesExpired: UInt64 = 0
    private var errorCounts = [UInt64](repeating: 0, count: 256)

    public init() {}

    /// How often `accept` threw `error`.
    public func errors(_ error: WireError) -> UInt64 { errorCounts[Int(error.rawValue)] }

    /// Every error `accept` threw, by case (cases never thrown are left out).
    public var errorsByKind: [WireError: UInt64] {
        var out: [WireError: UInt64] = [:]
        for e in WireError.allCases where errorCounts[Int(e.rawValue)] > 0 { out[e] = errorCounts[Int(e.rawValue)] }
        return out
    }

    /// Sum over all error cases.
    public var totalErrors: UInt64 { errorCounts.reduce(0, +) }

    mutating func record(_ error: WireError) { errorCounts[Int(error.rawValue)] &+= 1 }
}
