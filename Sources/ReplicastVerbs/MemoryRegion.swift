#if canImport(CIBVerbs)
import CIBVerbs
import SystemPackage
import CVerbsShim

/// A registered memory region (`ibv_reg_mr`), deregistered when the value is dropped.
/// It does not own the memory it covers: the owner frees that after this value is gone.
public struct MemoryRegion: ~Copyable {
    public let raw: UnsafeMutablePointer<ibv_mr>

    /// Registers `bytes` in `pd` for local access (sends from it and receives into it).
    public init(pd: borrowing ProtectionDomain, bytes: UnsafeMutableRawBufferPointer) throws(VerbsError) {
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            throw VerbsError("ibv_reg_mr", .invalidArgument)
        }
        guard let mr = cvs_reg_mr(pd.raw, base, bytes.count, Int32(ibv_access_flags.localWrite.rawValue)) else {
            throw .last("ibv_reg_mr")
        }
        raw = mr
    }

    deinit { ibv_dereg_mr(raw) }

    /// The local key that scatter/gather entries in this region carry.
    public var lkey: UInt32 { raw.pointee.lkey }
}
#endif
