/// Buffers for reassembled messages, kept for reuse: when the last reference to a message's
/// `PayloadBuffer` goes (on whichever thread: a store worker, the application), its memory
/// returns here, and the next message of a similar size is copied into memory that is
/// already mapped. Without it every 1 MiB chunk received was a fresh allocation that the
/// kernel mapped and zeroed page by page as fragments landed: a page fault per 4 KiB
/// datagram, about a third of them on a soft-RoCE member (5,100 to 5,600 per 64 MiB).
///
/// Only buffers of at least `minimumPooledSize` are pooled, in capacity classes of
/// `sizeClass` bytes; at most `maxPooledBytes` wait for reuse, the rest are freed.
public final class MessageBufferPool: Sendable {
    /// Smaller buffers come from the allocator's own bins.
    public static let minimumPooledSize = 64 * 1024
    /// Capacities are rounded up to a multiple of this.
    public static let sizeClass = 64 * 1024

    /// Free buffers' addresses (as integers: raw pointers are not `Sendable`), by capacity.
    private let free: BufferFreeList<UInt>

    /// Bytes of free buffers kept at most.
    public var maxPooledBytes: Int { free.maxPooledBytes }

    public init(maxPooledBytes: Int = 16 << 20) {
        free = BufferFreeList(maxPooledBytes: maxPooledBytes)
    }

    deinit {
        for address in free.close() { UnsafeMutableRawPointer(bitPattern: address)!.deallocate() }
    }

    /// Bytes of free buffers waiting for reuse.
    public var pooledBytes: Int { free.pooledBytes }

    /// A buffer of `count` bytes (contents undefined): a free one of its class if there is
    /// one, else a new one; pooled when released if it is large enough.
    public func buffer(count: Int) -> PayloadBuffer {
        guard count >= Self.minimumPooledSize else { return PayloadBuffer(count: count) }
        let capacity = (count + Self.sizeClass - 1) / Self.sizeClass * Self.sizeClass
        let reused = free.take(capacity: capacity)
        let base = reused.flatMap(UnsafeMutableRawPointer.init(bitPattern:))
            ?? UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
        return PayloadBuffer(wrapping: base, count: count) { [self] base in recycle(base, capacity: capacity) }
    }

    private func recycle(_ base: UnsafeMutableRawPointer, capacity: Int) {
        if !free.put(UInt(bitPattern: base), capacity: capacity) { base.deallocate() }
    }
}
