import Synchronization

/// Free buffers waiting for reuse, by capacity, up to a byte budget; safe from any thread.
/// The pools of the transports keep their released buffers here: `MessageBufferPool` (plain
/// memory for reassembled messages and UDP chunk buffers) and the verbs transport's pool of
/// registered memory.
///
/// A buffer that does not fit the budget, or comes after `close()`, is refused: the caller
/// frees it.
public final class BufferFreeList<Buffer: Sendable>: Sendable {
    /// Bytes of free buffers kept at most.
    public let maxPooledBytes: Int
    private let state: Mutex<State>

    private struct State {
        var free: [Int: [Buffer]] = [:]
        var pooledBytes = 0
        var closed = false
    }

    public init(maxPooledBytes: Int) {
        self.maxPooledBytes = maxPooledBytes
        self.state = Mutex(State())
    }

    /// Bytes of free buffers held.
    public var pooledBytes: Int { state.withLock { $0.pooledBytes } }

    /// A free buffer of exactly `capacity` bytes, if one waits.
    public func take(capacity: Int) -> Buffer? {
        state.withLock { s in
            guard let buffer = s.free[capacity]?.popLast() else { return nil }
            s.pooledBytes -= capacity
            return buffer
        }
    }

    /// Keeps `buffer` (of `capacity` bytes) for reuse; false if the budget is full or the list
    /// is closed, and the caller must free it.
    public func put(_ buffer: Buffer, capacity: Int) -> Bool {
        state.withLock { s in
            guard !s.closed, s.pooledBytes + capacity <= maxPooledBytes else { return false }
            s.free[capacity, default: []].append(buffer)
            s.pooledBytes += capacity
            return true
        }
    }

    /// Empties the list for good: returns the buffers it held, for the caller to free, and
    /// refuses every later `put`.
    public func close() -> [Buffer] {
        state.withLock { s in
            let held = s.free.values.flatMap { $0 }
            s.free = [:]
            s.pooledBytes = 0
            s.closed = true
            return held
        }
    }
}
