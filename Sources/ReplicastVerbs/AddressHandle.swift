#if canImport(CIBVerbs)
import CIBVerbs

/// An address handle (`ibv_create_ah`): where a UD send goes. Destroyed when dropped.
public struct AddressHandle: ~Copyable {
    public let raw: UnsafeMutablePointer<ibv_ah>

    /// From explicit attributes (a multicast join's, or one made for a peer's GID).
    public init(pd: borrowing ProtectionDomain, attributes: ibv_ah_attr) throws(VerbsError) {
        var attr = attributes
        guard let ah = ibv_create_ah(pd.raw, &attr) else { throw .last("ibv_create_ah") }
        raw = ah
    }

    /// To a GID over RoCE/IB global routing, from our port and source GID index.
    public init(pd: borrowing ProtectionDomain, gid: GID, port: UInt8, sourceGIDIndex: UInt8) throws(VerbsError) {
        var attr = ibv_ah_attr()
        attr.is_global = 1
        attr.grh.dgid = gid.cValue
        attr.grh.sgid_index = sourceGIDIndex
        attr.grh.hop_limit = 64
        attr.port_num = port
        try self.init(pd: pd, attributes: attr)
    }

    deinit { ibv_destroy_ah(raw) }
}
#endif
