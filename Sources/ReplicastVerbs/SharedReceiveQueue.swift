#if canImport(CIBVerbs)
import CIBVerbs
import SystemPackage

/// A shared receive queue (`ibv_create_srq`): receive work requests that every queue pair
/// made with it draws from. A transport with send lanes uses one, so a unicast reply to a
/// lane's queue pair number arrives like any other. Destroyed when the value is dropped,
/// after the queue pairs that use it.
public struct SharedReceiveQueue: ~Copyable {
    public let raw: UnsafeMutablePointer<ibv_srq>

    /// A queue of `depth` receive work requests of one scatter/gather entry each, in `pd`.
    public init(pd: borrowing ProtectionDomain, depth: Int) throws(VerbsError) {
        var attr = ibv_srq_init_attr()
        attr.attr.max_wr = UInt32(depth)
        attr.attr.max_sge = 1
        guard let srq = ibv_create_srq(pd.raw, &attr) else { throw .last("ibv_create_srq") }
        raw = srq
    }

    deinit { ibv_destroy_srq(raw) }
}
#endif
