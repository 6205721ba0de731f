/// Turns received datagrams back into messages (docs/PROTOCOL.md, "Reassembly").
///
/// Single-fragment messages are decoded straight from the datagram (the bulk payload, if
/// any, is copied once into a buffer of its own). A multi-fragment message gets one
/// `PayloadBuffer` of its declared length from a `MessageBufferPool` (memory of an earlier
/// message, once that one is released), fragments are copied into place in whatever order
/// they arrive, duplicates are discarded, and the message is decoded when its fragment bitmap
/// is full: its bulk payload is a view of that buffer. Memory held by incomplete messages is
/// bounded by `ReassemblyLimits`; `expire(now:)` drops those that stalled.
///
/// Not thread-safe: one event loop owns a reassembler.
public final class Reassembler {
    public let limits: ReassemblyLimits
    // The reassembler is confined to one thread; the per-datagram path skips the dynamic
    // exclusivity checks on its stored properties.
    @exclusivity(unchecked) public private(set) var counters = ReassemblyCounters()
    /// Bytes currently held by incomplete messages (buffers and bitmaps).
    @exclusivity(unchecked) public private(set) var bufferedBytes = 0

    @exclusivity(unchecked) private var partials: [MessageKey: PartialMessage] = [:]
    @exclusivity(unchecked) private var recent: RecentMessages
    /// The message the previous fragment belonged to (fragments of one transfer arrive in
    /// runs), so the common case needs no hash lookup. Cleared when it completes or expires.
    @exclusivity(unchecked) private var lastPartial: (key: MessageKey, partial: PartialMessage)?
    /// Where multi-fragment messages' buffers come from and return to.
    public let buffers: MessageBufferPool

    public init(limits: ReassemblyLimits = ReassemblyLimits(), buffers: MessageBufferPool = MessageBufferPool()) {
        self.limits = limits
        self.buffers = buffers
        self.recent = RecentMessages(capacity: limits.maxRecentlyCompleted)
        partials.reserveCapacity(max(limits.maxIncompleteMessages, 0))
    }

    /// Incomplete messages held.
    public var incompleteCount: Int { partials.count }

    /// Takes one received datagram. Returns the envelope when this datagram completes a
    /// message; nil when more fragments are needed or the datagram was a duplicate. Throws
    /// (and counts) a `WireError` for anything malformed; the reassembler stays usable.
    public func accept(_ datagram: UnsafeRawBufferPointer, now: Instant) throws(WireError) -> Envelope? {
        do {
            return try acceptValidated(datagram, now: now)
        } catch {
            counters.record(error)
            throw error
        }
    }

    private func acceptValidated(_ datagram: UnsafeRawBufferPointer, now: Instant) throws(WireError) -> Envelope? {
        let h = try DatagramHeader(parsing: datagram)
        guard h.messageLength <= limits.maxMessageBytes else { throw .messageTooLarge }
        counters.datagramsAccepted += 1
        let fragment = UnsafeRawBufferPointer(rebasing: datagram[h.headerLength...])
        if h.fragmentCount == 1 { return try decodeSingle(h, fragment) }

        let key = MessageKey(h)
        let partial: PartialMessage
        if let last = lastPartial, last.key == key {
            guard last.partial.agrees(with: h) else { throw .inconsistentFragment }
            partial = last.partial
        } else if recent.contains(key) {
            counters.duplicatesDiscarded += 1
            return nil
        } else if let existing = partials[key] {
            guard existing.agrees(with: h) else { throw .inconsistentFragment }
            partial = existing
        } else {
            guard partials.count < limits.maxIncompleteMessages else { throw .tooManyIncompleteMessages }
            guard PartialMessage.cost(of: h) <= limits.maxBufferedBytes - bufferedBytes else {
                throw .reassemblyMemoryExhausted
            }
            partial = PartialMessage(first: h, buffer: buffers.buffer(count: h.messageLength), now: now)
            partials[key] = partial
            bufferedBytes += partial.cost
        }
        lastPartial = (key, partial)
        guard partial.place(h, bytes: fragment, now: now) else {
            counters.duplicatesDiscarded += 1
            return nil
        }
        guard partial.isComplete else { return nil }

        partials[key] = nil
        lastPartial = nil
        bufferedBytes -= partial.cost
        recent.insert(key, at: now)
        let f = partial.first
        let message = try Message(
            type: f.type, metadata: UnsafeRawBufferPointer(start: partial.buffer.base, count: f.metadataLength),
            payload: Payload(buffer: partial.buffer, range: f.metadataLength..<f.messageLength))
        counters.messagesCompleted += 1
        return Envelope(kind: f.kind, id: f.id, generation: f.generation, message: message)
    }

    /// The fast path: the whole message is in this datagram.
    private func decodeSingle(_ h: DatagramHeader, _ fragment: UnsafeRawBufferPointer) throws(WireError) -> Envelope {
        let metadata = UnsafeRawBufferPointer(rebasing: fragment[..<h.metadataLength])
        var payload = Payload.empty
        if h.type.hasPayload, h.messageLength > h.metadataLength {
            let buffer = PayloadBuffer(count: h.messageLength - h.metadataLength)
            buffer.mutableBytes.copyMemory(from: UnsafeRawBufferPointer(rebasing: fragment[h.metadataLength...]))
            payload = Payload(buffer)
        } else if h.messageLength > h.metadataLength {
            throw .unexpectedPayload
        }
        let message = try Message(type: h.type, metadata: metadata, payload: payload)
        counters.messagesCompleted += 1
        return Envelope(kind: h.kind, id: h.id, generation: h.generation, message: message)
    }

    /// When the first incomplete message held will have stalled for `limits.timeout` (the
    /// next time `expire(now:)` has work); nil while none is held.
    public var nextExpiry: Instant? {
        partials.values.lazy.map(\.lastReceived).min().map { $0 + limits.timeout }
    }

    /// Drops incomplete messages that received no fragment for `limits.timeout` and returns
    /// what is known about them; forgets completed ids older than the timeout.
    public func expire(now: Instant) -> [IncompleteMessage] {
        recent.forget(olderThan: limits.timeout, now: now)
        let stalled = partials.filter { now - $0.value.lastReceived >= limits.timeout }
        if !stalled.isEmpty { lastPartial = nil }
        var expired: [IncompleteMessage] = []
        expired.reserveCapacity(stalled.count)
        for (key, partial) in stalled {
            expired.append(partial.report())
            partials[key] = nil
            bufferedBytes -= partial.cost
        }
        counters.messagesExpired += UInt64(expired.count)
        return expired
    }
}
