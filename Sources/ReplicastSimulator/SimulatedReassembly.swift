import ReplicastWire

/// A node's reassembly of fragmented messages, with the real reassembler's behaviour:
/// fragments are collected per (id, type); a message is delivered when all have arrived;
/// a duplicate fragment, or any fragment of a recently completed message, is discarded; a
/// message that stops receiving fragments is dropped after the timeout. Single-datagram
/// messages are delivered as they come (duplicates included).
struct SimulatedReassembly {
    enum Outcome {
        /// The message is complete: deliver it.
        case complete(SimulatedMessage)
        /// A fragment of a new incomplete message: check it at `timeout` from now.
        case started
        /// A fragment of a message already in progress.
        case progressed
        /// A duplicate (or a fragment of a completed message): discarded.
        case duplicate
        /// A fragment whose id and type match another message in progress: discarded.
        case inconsistent
    }

    private struct Partial {
        var message: SimulatedMessage
        var received: [Bool]
        var remaining: Int
        var lastReceived: Instant
    }

    let timeout: Duration
    private var partials: [MessageIdentity: Partial] = [:]
    private var recent: [MessageIdentity: Instant] = [:]

    init(timeout: Duration) {
        self.timeout = timeout
    }

    /// Takes fragment `index` of `message`, arriving at `now`.
    mutating func accept(_ message: SimulatedMessage, fragment index: Int, now: Instant) -> Outcome {
        guard message.fragmentCount > 1 else { return .complete(message) }
        let key = message.key
        if let done = recent[key], now - done < timeout { return .duplicate }
        var partial: Partial
        var isNew = false
        if let existing = partials[key] {
            guard existing.message === message else { return .inconsistent }
            partial = existing
        } else {
            partial = Partial(
                message: message, received: Array(repeating: false, count: message.fragmentCount),
                remaining: message.fragmentCount, lastReceived: now)
            isNew = true
        }
        guard !partial.received[index] else { return .duplicate }
        partial.received[index] = true
        partial.remaining -= 1
        partial.lastReceived = now
        if partial.remaining == 0 {
            partials[key] = nil
            remember(key, now: now)
            return .complete(message)
        }
        partials[key] = partial
        return isNew ? .started : .progressed
    }

    /// Checks the message `key` at `now`: returns it if it timed out (and forgets it), or the
    /// time to check again if it is still receiving, or nothing if it is gone.
    mutating func check(_ key: MessageIdentity, now: Instant) -> (expired: SimulatedMessage?, recheck: Instant?) {
        guard let partial = partials[key] else { return (nil, nil) }
        let due = partial.lastReceived + timeout
        if due > now { return (nil, due) }
        partials[key] = nil
        return (partial.message, nil)
    }

    private mutating func remember(_ key: MessageIdentity, now: Instant) {
        recent[key] = now
        if recent.count > 4096 {
            recent = recent.filter { now - $0.value < timeout }
        }
    }
}
