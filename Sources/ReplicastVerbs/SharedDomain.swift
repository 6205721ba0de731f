#if canImport(CIBVerbs)
import CIBVerbs

/// The transport's protection domain, shared with the registered buffers it hands out so
/// the domain outlives every memory region made in it, even past `VerbsTransport.close()`.
final class SharedDomain: @unchecked Sendable {
    let pd: ProtectionDomain

    init(context: UnsafeMutablePointer<ibv_context>) throws(VerbsError) {
        pd = try ProtectionDomain(context: context)
    }
}

/// Registered memory: an aligned allocation and its memory region, freed in that order
/// (region first) by `release()`. Held by a transport slab or by a `PayloadBuffer`'s release.
final class RegisteredMemory: @unchecked Sendable {
    let bytes: UnsafeMutableRawBufferPointer
    let lkey: UInt32
    private var region: MemoryRegion?
    private let domain: SharedDomain

    /// Allocates `count` bytes (page aligned) and registers them in `domain`.
    init(domain: SharedDomain, count: Int) throws(VerbsError) {
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 4096)
        do {
            let region = try MemoryRegion(pd: domain.pd, bytes: bytes)
            self.lkey = region.lkey
            self.region = consume region
        } catch {
            bytes.deallocate()
            throw error
        }
        self.bytes = bytes
        self.domain = domain
    }

    /// Deregisters and frees the memory (once; later calls do nothing).
    func release() {
        guard region != nil else { return }
        region = nil
        bytes.deallocate()
    }

    deinit { release() }
}
#endif
