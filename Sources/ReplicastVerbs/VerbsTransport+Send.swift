#if canImport(CIBVerbs)
import CIBVerbs
import CVerbsShim
import ReplicastTransport
import ReplicastWire

extension VerbsTransport {
    /// Registers a buffer of `count` bytes: bodies sent from it go out as a second
    /// scatter/gather entry, without a copy. The memory region lives as long as the buffer.
    public func allocate(count: Int) throws(TransportError) -> PayloadBuffer {
        try ensureOpen("allocate")
        guard count >= 0, count <= Self.maxAllocation else {
            throw TransportError("allocate", reason: "size \(count) outside 0...\(Self.maxAllocation)")
        }
        if count == 0 { return PayloadBuffer(count: 0) }
        let memory: RegisteredMemory
        do {
            memory = try RegisteredMemory(domain: domain!, count: count)
        } catch {
            throw error.transportError
        }
        let buffer = PayloadBuffer(wrapping: memory.bytes.baseAddress!, count: count) { _ in memory.release() }
        if registeredBodies.count >= registeredBodiesSweepAt {
            registeredBodies = registeredBodies.filter { $0.value.buffer != nil }
            registeredBodiesSweepAt = max(64, 2 * registeredBodies.count)
        }
        registeredBodies[ObjectIdentifier(buffer)] = RegisteredBody(buffer: buffer, lkey: memory.lkey)
        return buffer
    }

    /// Posts the batch's datagrams in order, in chains of up to 64 work requests, then
    /// empties it. Throws, posting nothing, if a datagram exceeds `maxDatagramSize` or a
    /// destination is not valid; throws after a partial post if the device refuses one.
    public func send(_ batch: inout SendBatch) throws(TransportError) {
        try ensureOpen("send")
        for i in 0..<batch.count {
            let entry = batch.entries[i]
            let size = entry.headLength + entry.body.count
            guard size <= maxDatagramSize else {
                throw TransportError("send", reason: "datagram of \(size) bytes exceeds \(maxDatagramSize)")
            }
            if case .group(let group) = entry.destination {
                let ip = try Self.multicastIPv4(group, "send")
                if controlEvents.hasFailures { try ensureGroupUsable(ip) }
            }
        }
        var start = 0
        while start < batch.count {
            let end = min(batch.count, start + sendChainCapacity)
            try post(batch, start..<end)
            start = end
        }
        counters.sendCalls += 1
        batch.removeAll()
        try reapSendCompletions()
    }

    /// Builds and posts the work requests of `batch[range]` as one chain.
    private func post(_ batch: borrowing SendBatch, _ range: Range<Int>) throws(TransportError) {
        try reserveSendSlots(range.count)
        let depth = UInt64(configuration.sendDepth)
        let interval = UInt64(configuration.signalInterval)
        var multicastCount: UInt64 = 0
        var multicastBytes: UInt64 = 0
        var bytes: UInt64 = 0
        for (n, i) in range.enumerated() {
            let entry = batch.entries[i]
            let head = batch.head(i)
            let sequence = sendsPosted + UInt64(n)
            let slot = Int(sequence % depth)
            let wr = sendRequests + n
            let sge = sendSGEs + 2 * n
            wr.pointee = ibv_send_wr()
            wr.pointee.wr_id = sequence
            wr.pointee.next = n + 1 < range.count ? wr + 1 : nil
            wr.pointee.sg_list = sge
            wr.pointee.opcode = IBV_WR_SEND
            var flags: ibv_send_flags = []
            if sequence % interval == interval - 1 || n + 1 == range.count {
                flags.insert(.signaled)
            }

            switch entry.destination {
            case .group(let group):
                let (ah, qpn, qkey) = try groupTarget(group)
                wr.pointee.wr.ud.ah = ah
                wr.pointee.wr.ud.remote_qpn = qpn
                wr.pointee.wr.ud.remote_qkey = qkey
                multicastCount += 1
                multicastBytes += UInt64(entry.headLength + entry.body.count)
            case .endpoint(let endpoint):
                wr.pointee.wr.ud.ah = try peerTarget(endpoint)
                wr.pointee.wr.ud.remote_qpn = endpoint.selector
                wr.pointee.wr.ud.remote_qkey = Self.udpQKey
            }

            let total = head.count + entry.body.count
            bytes += UInt64(total)
            let slotBase = sendBase + slot * pathMTU
            let body = entry.body
            if total <= maxInlineData {
                // Copied by the post itself: point at the batch's head and the body as they lie.
                flags.insert(.inline)
                sge[0] = ibv_sge(addr: UInt64(UInt(bitPattern: head.baseAddress)), length: UInt32(head.count), lkey: 0)
                sge[1] = ibv_sge(
                    addr: UInt64(UInt(bitPattern: body.buffer.map { $0.base + body.range.lowerBound })),
                    length: UInt32(body.count), lkey: 0)
                wr.pointee.num_sge = body.isEmpty ? 1 : 2
            } else if let buffer = body.buffer, !body.isEmpty, let lkey = registeredLKey(buffer) {
                // Head from the send slab, body from its own memory region.
                slotBase.copyMemory(from: head.baseAddress!, byteCount: head.count)
                sge[0] = ibv_sge(addr: UInt64(UInt(bitPattern: slotBase)), length: UInt32(head.count), lkey: sendLKey)
                sge[1] = ibv_sge(
                    addr: UInt64(UInt(bitPattern: buffer.base + body.range.lowerBound)),
                    length: UInt32(body.count), lkey: lkey)
                wr.pointee.num_sge = head.isEmpty ? 1 : 2
                if head.isEmpty { sge[0] = sge[1] }
                retainedBodies[slot] = buffer
            } else {
                // Head and (unregistered) body copied into the slot.
                if let h = head.baseAddress { slotBase.copyMemory(from: h, byteCount: head.count) }
                body.withUnsafeBytes { b in
                    if let p = b.baseAddress { (slotBase + head.count).copyMemory(from: p, byteCount: b.count) }
                }
                sge[0] = ibv_sge(addr: UInt64(UInt(bitPattern: slotBase)), length: UInt32(total), lkey: sendLKey)
                wr.pointee.num_sge = 1
            }
            wr.pointee.send_flags = flags.rawValue
        }

        var failed: UnsafeMutablePointer<ibv_send_wr>? = nil
        let rc = ibv_post_send(qp, sendRequests, &failed)
        let posted = failed.map { $0 - sendRequests } ?? range.count
        sendsPosted += UInt64(rc == 0 ? range.count : posted)
        guard rc == 0 else {
            for n in posted..<range.count { retainedBodies[Int((sendsPosted + UInt64(n - posted)) % depth)] = nil }
            counters.sendErrors += UInt64(range.count - posted)
            throw VerbsError.returned("ibv_post_send", rc).transportError
        }
        counters.datagramsSent += UInt64(range.count)
        counters.bytesSent += bytes
        counters.multicastDatagramsSent += multicastCount
        counters.multicastBytesSent += multicastBytes
    }

    /// The lkey of a buffer from `allocate(count:)`, nil for any other buffer.
    @inline(__always)
    private func registeredLKey(_ buffer: PayloadBuffer) -> UInt32? {
        guard let entry = registeredBodies[ObjectIdentifier(buffer)], entry.buffer === buffer else { return nil }
        return entry.lkey
    }

    /// Waits (busy-polling the send queue) until `count` send slots are free.
    private func reserveSendSlots(_ count: Int) throws(TransportError) {
        let depth = UInt64(configuration.sendDepth)
        if sendsPosted - sendsCompleted + UInt64(count) <= depth { return }
        let deadline = ContinuousClock.now + configuration.sendStallTimeout
        while sendsPosted - sendsCompleted + UInt64(count) > depth {
            if try reapSendCompletions() == 0 {
                guard ContinuousClock.now < deadline else {
                    throw TransportError("send", reason: "send queue stalled (\(sendsPosted - sendsCompleted) in flight)")
                }
                cvs_cpu_relax()
            }
        }
    }

    /// Waits until every posted send has completed (before an address handle goes away).
    func quiesceSends() throws(TransportError) {
        let deadline = ContinuousClock.now + configuration.sendStallTimeout
        while sendsCompleted < sendsPosted {
            if try reapSendCompletions() == 0 {
                guard ContinuousClock.now < deadline else {
                    throw TransportError("quiesce sends", reason: "\(sendsPosted - sendsCompleted) sends did not complete")
                }
                cvs_cpu_relax()
            }
        }
    }

    /// Polls the send completion queue; a completion for sequence `s` frees every slot up
    /// to `s` (the send queue completes in order). Returns the completions seen.
    @discardableResult
    func reapSendCompletions() throws(TransportError) -> Int {
        let n = ibv_poll_cq(sendCQ, Int32(completions.count), completions.baseAddress)
        guard n >= 0 else { throw TransportError("ibv_poll_cq", reason: "send completion queue failed") }
        let depth = UInt64(configuration.sendDepth)
        for i in 0..<Int(n) {
            let wc = completions[i]
            if wc.status != IBV_WC_SUCCESS { counters.sendErrors += 1 }
            let through = wc.wr_id + 1
            while sendsCompleted < through {
                retainedBodies[Int(sendsCompleted % depth)] = nil
                sendsCompleted += 1
            }
        }
        return Int(n)
    }
}
#endif
