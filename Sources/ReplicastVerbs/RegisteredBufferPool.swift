#if canImport(CIBVerbs)
import ReplicastWire
import Synchronization

/// The buffers `VerbsTransport.allocate(count:)` hands out: registered memory kept for reuse.
/// Registering memory (`ibv_reg_mr`) pins its pages in a system call, page by page; a node
/// reads every chunk it serves into such a buffer, and a client every chunk it puts. When
/// the last reference to a buffer goes (on any thread), its memory region returns here still
/// registered, and the next buffer of its capacity class takes it without a system call.
///
/// Capacities are rounded up to 4 KiB below 64 KiB, and to 64 KiB above. At most
/// `maxPooledBytes` wait for reuse; the rest are deregistered and freed. `close()` (the
/// transport's) deregisters the free ones; buffers still held are deregistered when released.
final class RegisteredBufferPool: Sendable {
    /// The transport's protection domain, which every region is registered in.
    let domain: SharedDomain
    private let free: BufferFreeList<RegisteredMemory>
    private let registered = Atomic<Int>(0)

    init(domain: SharedDomain, maxPooledBytes: Int) {
        self.domain = domain
        self.free = BufferFreeList(maxPooledBytes: maxPooledBytes)
    }

    /// Memory regions registered so far: a region reused is not counted again.
    var registrations: Int { registered.load(ordering: .relaxed) }

    /// Bytes of registered buffers waiting for reuse.
    var pooledBytes: Int { free.pooledBytes }

    /// The capacity class of a buffer of `count` bytes.
    static func capacity(for count: Int) -> Int {
        let granule = count < 64 * 1024 ? 4096 : 64 * 1024
        return (count + granule - 1) / granule * granule
    }

    /// A registered buffer of `count` (> 0) bytes, contents undefined; its `registration`
    /// names this pool and the region's lkey.
    func buffer(count: Int) throws(VerbsError) -> PayloadBuffer {
        let capacity = Self.capacity(for: count)
        let memory: RegisteredMemory
        if let reused = free.take(capacity: capacity) {
            memory = reused
        } else {
            memory = try RegisteredMemory(domain: domain, count: capacity)
            registered.add(1, ordering: .relaxed)
        }
        let registration = PayloadBuffer.Registration(owner: ObjectIdentifier(self), key: memory.lkey)
        return PayloadBuffer(wrapping: memory.bytes.baseAddress!, count: count, registration: registration) { [self] _ in
            if !free.put(memory, capacity: capacity) { memory.release() }
        }
    }

    /// The lkey of `buffer` if it is one of this pool's.
    @inline(__always)
    func lkey(of buffer: PayloadBuffer) -> UInt32? {
        guard let r = buffer.registration, r.owner == ObjectIdentifier(self) else { return nil }
        return r.key
    }

    /// Deregisters and frees the buffers waiting for reuse; those released later are freed
    /// at once.
    func close() {
        for memory in free.close() { memory.release() }
    }
}
#endif
