#if canImport(CIBVerbs)
import CIBVerbs

extension ibv_qp_init_attr {
    /// The attributes of the transport's unreliable-datagram queue pairs (`UDQueuePair`,
    /// `SendQueuePair`): completions signalled only where asked, sends of up to two
    /// scatter/gather entries (head and body), receives of one, from a queue of
    /// `receiveDepth` of its own or from `sharedReceives`.
    static func unreliableDatagram(
        sendQueue: UnsafeMutablePointer<ibv_cq>, receiveQueue: UnsafeMutablePointer<ibv_cq>,
        sharedReceives: UnsafeMutablePointer<ibv_srq>?, sendDepth: Int, receiveDepth: Int, maxInlineData: Int
    ) -> ibv_qp_init_attr {
        var attr = ibv_qp_init_attr()
        attr.qp_type = IBV_QPT_UD
        attr.send_cq = sendQueue
        attr.recv_cq = receiveQueue
        attr.srq = sharedReceives
        attr.sq_sig_all = 0
        attr.cap.max_send_wr = UInt32(sendDepth)
        attr.cap.max_recv_wr = sharedReceives == nil ? UInt32(receiveDepth) : 0
        attr.cap.max_send_sge = 2
        attr.cap.max_recv_sge = 1
        attr.cap.max_inline_data = UInt32(maxInlineData)
        return attr
    }

    /// Calls `create` with these attributes; if it fails while inline data is asked for,
    /// calls it once more with none (a device may refuse any inline data). Returns whether
    /// a call succeeded; `cap` then holds what the device granted.
    mutating func create(loweringInlineData create: (inout ibv_qp_init_attr) -> Bool) -> Bool {
        if create(&self) { return true }
        guard cap.max_inline_data > 0 else { return false }
        cap.max_inline_data = 0
        return create(&self)
    }
}
#endif
