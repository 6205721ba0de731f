#if canImport(CIBVerbs)
import CIBVerbs
import SystemPackage

/// An unreliable-datagram queue pair made with verbs alone (`ibv_create_qp`): a send lane's.
/// It is moved to ready-to-send at once (INIT with the port and the rdma_cm Q_Key, RTR, RTS)
/// and joins no group; what peers send to its number (replies to what it sent) is received
/// from the transport's shared receive queue into the transport's receive completion queue.
/// Destroyed (`ibv_destroy_qp`) when the value is dropped; its queues must outlive it.
public struct SendQueuePair: ~Copyable {
    public let raw: UnsafeMutablePointer<ibv_qp>
    /// The capabilities the device granted (at least those asked for).
    public let capabilities: ibv_qp_cap

    /// Creates the queue pair in `pd` on `port`, completing sends to `sendQueue` and
    /// receives (drawn from `sharedReceives`) to `receiveQueue`. Sends take up to two
    /// scatter/gather entries; inline data is lowered to 0 if the device refuses `maxInlineData`.
    public init(
        pd: borrowing ProtectionDomain, sendQueue: borrowing CompletionQueue,
        receiveQueue: UnsafeMutablePointer<ibv_cq>, sharedReceives: UnsafeMutablePointer<ibv_srq>,
        port: UInt8, qkey: UInt32, sendDepth: Int, maxInlineData: Int
    ) throws(VerbsError) {
        var attr = ibv_qp_init_attr.unreliableDatagram(
            sendQueue: sendQueue.raw, receiveQueue: receiveQueue, sharedReceives: sharedReceives,
            sendDepth: sendDepth, receiveDepth: 0, maxInlineData: maxInlineData)
        var created: UnsafeMutablePointer<ibv_qp>?
        guard attr.create(loweringInlineData: { created = ibv_create_qp(pd.raw, &$0); return created != nil }),
            let qp = created
        else { throw .last("ibv_create_qp") }
        do {
            var state = ibv_qp_attr()
            state.qp_state = IBV_QPS_INIT
            state.pkey_index = 0
            state.port_num = port
            state.qkey = qkey
            try Self.modify(qp, &state, [.state, .pkeyIndex, .port, .qkey], "ibv_modify_qp(INIT)")
            state = ibv_qp_attr()
            state.qp_state = IBV_QPS_RTR
            try Self.modify(qp, &state, [.state], "ibv_modify_qp(RTR)")
            state = ibv_qp_attr()
            state.qp_state = IBV_QPS_RTS
            state.sq_psn = 0
            try Self.modify(qp, &state, [.state, .sendPSN], "ibv_modify_qp(RTS)")
        } catch {
            ibv_destroy_qp(qp)
            throw error
        }
        raw = qp
        capabilities = attr.cap
    }

    deinit { ibv_destroy_qp(raw) }

    private static func modify(
        _ qp: UnsafeMutablePointer<ibv_qp>, _ attr: inout ibv_qp_attr, _ mask: ibv_qp_attr_mask, _ what: String
    ) throws(VerbsError) {
        let rc = ibv_modify_qp(qp, &attr, Int32(bitPattern: mask.rawValue))
        guard rc == 0 else { throw .returned(what, rc) }
    }
}
#endif
