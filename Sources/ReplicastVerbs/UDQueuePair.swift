#if canImport(CIBVerbs)
import CIBVerbs
import SystemPackage

/// An unreliable-datagram queue pair made through an rdma_cm id (`rdma_create_qp`), which
/// also moves it to ready-to-send with the rdma_cm Q_Key. Destroyed (`rdma_destroy_qp`)
/// when the value is dropped; the id must outlive it.
public struct UDQueuePair: ~Copyable {
    public let raw: UnsafeMutablePointer<ibv_qp>
    private let id: UnsafeMutablePointer<rdma_cm_id>
    /// The capabilities the device granted (at least those asked for).
    public let capabilities: ibv_qp_cap

    /// Creates the queue pair of `id`. Sends take up to two scatter/gather entries (head
    /// and body); receives one, from its own queue of `receiveDepth` or from `sharedReceives`.
    /// `maxInlineData` is lowered to 0 if the device refuses it.
    public init(
        id: borrowing CMId, pd: borrowing ProtectionDomain,
        sendQueue: borrowing CompletionQueue, receiveQueue: borrowing CompletionQueue,
        sharedReceives: UnsafeMutablePointer<ibv_srq>?,
        sendDepth: Int, receiveDepth: Int, maxInlineData: Int
    ) throws(VerbsError) {
        var attr = ibv_qp_init_attr.unreliableDatagram(
            sendQueue: sendQueue.raw, receiveQueue: receiveQueue.raw, sharedReceives: sharedReceives,
            sendDepth: sendDepth, receiveDepth: receiveDepth, maxInlineData: maxInlineData)
        guard attr.create(loweringInlineData: { rdma_create_qp(id.raw, pd.raw, &$0) == 0 }) else {
            throw .last("rdma_create_qp")
        }
        guard let qp = id.raw.pointee.qp else { throw VerbsError("rdma_create_qp", .operationNotSupportedByDevice) }
        self.raw = qp
        self.id = id.raw
        self.capabilities = attr.cap
    }

    deinit { rdma_destroy_qp(id) }

    /// The queue pair number peers address.
    public var number: UInt32 { raw.pointee.qp_num }
}
#endif
