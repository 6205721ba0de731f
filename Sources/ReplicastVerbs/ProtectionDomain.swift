#if canImport(CIBVerbs)
import CIBVerbs

/// A protection domain (`ibv_alloc_pd`), deallocated when the value is dropped.
/// Memory regions, queue pairs and address handles made in it must go first.
public struct ProtectionDomain: ~Copyable {
    public let raw: UnsafeMutablePointer<ibv_pd>

    /// Allocates a protection domain on an open device context.
    public init(context: UnsafeMutablePointer<ibv_context>) throws(VerbsError) {
        guard let pd = ibv_alloc_pd(context) else { throw .last("ibv_alloc_pd") }
        raw = pd
    }

    deinit { ibv_dealloc_pd(raw) }
}
#endif
