#if canImport(CIBVerbs)
import CIBVerbs
import CVerbsShim
import ReplicastTransport
import ReplicastWire

extension VerbsTransport {
    /// A registered buffer of `count` bytes: bodies sent from it go out as a second
    /// scatter/gather entry, without a copy. It comes from the transport's pool of registered
    /// memory (`RegisteredBufferPool`) and returns there when released, so a steady stream of
    /// chunks registers no new memory.
    public func allocate(count: Int) throws(TransportError) -> PayloadBuffer {
        try ensureOpen("allocate")
        guard count >= 0, count <= Self.maxAllocation else {
            throw TransportError("allocate", reason: "size \(count) outside 0...\(Self.maxAllocation)")
        }
        if count == 0 { return PayloadBuffer(count: 0) }
        do {
            return try bufferPool!.buffer(count: count)
        } catch {
            throw error.transportError
        }
    }

    /// Posts the batch's datagrams, in chains of up to 64 work requests, then empties it.
    /// With send lanes, a batch of at least `2 * minimumLaneShare` datagrams is cut into one
    /// part per queue pair: each part goes to a lane that is idle, or is posted by this
    /// thread when none is. `send` does not wait for the lanes: their parts are counted when
    /// handed over and posted while this thread goes on, in any order among the queue pairs.
    /// If the device refuses a lane's post, the next `send`, `flush()` or `leave` takes its
    /// count back and throws. Throws, posting nothing, if a datagram exceeds
    /// `maxDatagramSize` or a destination is not valid; throws after a partial post if the
    /// device refuses one.
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
        let ways = batch.count < 2 * Self.minimumLaneShare ? 1 : 1 + lanes.count
        let share = min(SendRing.chainCapacity, (batch.count + ways - 1) / ways)
        var start = 0
        while start < batch.count {
            let part = start..<min(batch.count, start + share)
            if ways > 1, let lane = lanes.first(where: \.isIdle) {
                try handOver(batch, part, to: lane)
            } else {
                try post(batch, part)
            }
            start = part.upperBound
        }
        counters.sendCalls += 1
        batch.removeAll()
        try reapSendCompletions()
    }

    /// Waits until every lane has posted what it was handed and every send has completed;
    /// throws if the device refused a lane's post.
    public func flush() throws(TransportError) {
        try ensureOpen("flush")
        try quiesceSends()
    }

    /// Datagrams each lane gets at least before a batch is spread over lanes.
    static let minimumLaneShare = 8

    /// Builds and posts `batch[range]` as one chain on the transport's own queue pair.
    private func post(_ batch: borrowing SendBatch, _ range: Range<Int>) throws(TransportError) {
        try sendRing.reserve(range.count, timeout: configuration.sendStallTimeout)
        let totals = try buildChain(batch, range, into: sendRing)
        let (rc, posted) = sendRing.postChain()
        try account(totals, rc: rc, posted: posted, of: range.count)
    }

    /// Builds `batch[range]` as one chain in the idle `lane`'s ring and has its thread post it.
    private func handOver(_ batch: borrowing SendBatch, _ range: Range<Int>, to lane: SendLane) throws(TransportError) {
        try finishPosting(lane)
        try lane.ring.reserve(range.count, timeout: configuration.sendStallTimeout)
        let totals: ChainTotals
        do {
            totals = try buildChain(batch, range, into: lane.ring)
        } catch {
            lane.ring.discardChain()
            throw error
        }
        try account(totals, rc: 0, posted: range.count, of: range.count)
        lane.startPosting(count: range.count, totals: totals)
    }

    /// Waits for the chain last handed to `lane`, if its result is not taken yet. A chain is
    /// counted as sent when handed over; if the device refused part of it, that count is
    /// taken back and the chain counted as `post` counts a refused one (its unposted
    /// datagrams as send errors), and the failure is thrown.
    private func finishPosting(_ lane: SendLane) throws(TransportError) {
        guard let chain = lane.finishPosting(), chain.rc != 0 else { return }
        counters.datagramsSent -= UInt64(chain.count)
        counters.bytesSent -= chain.totals.bytes
        counters.multicastDatagramsSent -= chain.totals.multicastDatagrams
        counters.multicastBytesSent -= chain.totals.multicastBytes
        try account(chain.totals, rc: chain.rc, posted: chain.posted, of: chain.count)
    }

    /// What one chain carries, for the counters.
    struct ChainTotals {
        var bytes: UInt64 = 0
        var multicastDatagrams: UInt64 = 0
        var multicastBytes: UInt64 = 0
    }

    /// Counts a posted chain; throws if the device refused part of it.
    private func account(_ totals: ChainTotals, rc: Int32, posted: Int, of count: Int) throws(TransportError) {
        guard rc == 0 else {
            counters.sendErrors += UInt64(count - posted)
            throw VerbsError.returned("ibv_post_send", rc).transportError
        }
        counters.datagramsSent += UInt64(count)
        counters.bytesSent += totals.bytes
        counters.multicastDatagramsSent += totals.multicastDatagrams
        counters.multicastBytesSent += totals.multicastBytes
    }

    /// Builds the work requests of `batch[range]` as one chain in `ring` (not posted).
    private func buildChain(_ batch: borrowing SendBatch, _ range: Range<Int>, into ring: SendRing) throws(TransportError) -> ChainTotals {
        var totals = ChainTotals()
        ring.chainLength = 0
        let pool = bufferPool!
        // A transfer's datagrams go to one group: its address handle is looked up once.
        var lastGroup: (group: GroupAddress, target: (UnsafeMutablePointer<ibv_ah>, UInt32, UInt32))?
        for (n, i) in range.enumerated() {
            let entry = batch.entries[i]
            let head = batch.head(i)
            let sequence = ring.sequence(ofChainEntry: n)
            let (slot, slotBase) = ring.slot(sequence)
            let wr = ring.requests + n
            let sge = ring.sges + 2 * n
            wr.pointee = ibv_send_wr()
            wr.pointee.wr_id = sequence
            wr.pointee.next = n + 1 < range.count ? wr + 1 : nil
            wr.pointee.sg_list = sge
            wr.pointee.opcode = IBV_WR_SEND
            var flags: ibv_send_flags = []
            if ring.isSignalled(sequence, last: n + 1 == range.count) {
                flags.insert(.signaled)
            }

            switch entry.destination {
            case .group(let group):
                let target = lastGroup?.group == group ? lastGroup!.target : try groupTarget(group)
                lastGroup = (group, target)
                let (ah, qpn, qkey) = target
                wr.pointee.wr.ud.ah = ah
                wr.pointee.wr.ud.remote_qpn = qpn
                wr.pointee.wr.ud.remote_qkey = qkey
                totals.multicastDatagrams += 1
                totals.multicastBytes += UInt64(entry.headLength + entry.body.count)
            case .endpoint(let endpoint):
                wr.pointee.wr.ud.ah = try peerTarget(endpoint)
                wr.pointee.wr.ud.remote_qpn = endpoint.selector
                wr.pointee.wr.ud.remote_qkey = Self.udpQKey
            }

            let total = head.count + entry.body.count
            totals.bytes += UInt64(total)
            let body = entry.body
            if total > ring.maxInlineData, let buffer = body.buffer, !body.isEmpty, let lkey = pool.lkey(of: buffer) {
                // Head from the send slab, body from its own memory region.
                slotBase.copyMemory(from: head.baseAddress!, byteCount: head.count)
                sge[0] = ibv_sge(addr: UInt64(UInt(bitPattern: slotBase)), length: UInt32(head.count), lkey: ring.lkey)
                sge[1] = ibv_sge(
                    addr: UInt64(UInt(bitPattern: buffer.base + body.range.lowerBound)),
                    length: UInt32(body.count), lkey: lkey)
                wr.pointee.num_sge = head.isEmpty ? 1 : 2
                if head.isEmpty { sge[0] = sge[1] }
                ring.retain(buffer, slot: slot)
            } else {
                // Head and body copied into the slot: a body not registered, or a datagram
                // small enough to go inline (from the slot, not the batch: a lane may post
                // it after `send` has returned and the batch was reused).
                if let h = head.baseAddress { slotBase.copyMemory(from: h, byteCount: head.count) }
                body.withUnsafeBytes { b in
                    if let p = b.baseAddress { (slotBase + head.count).copyMemory(from: p, byteCount: b.count) }
                }
                sge[0] = ibv_sge(addr: UInt64(UInt(bitPattern: slotBase)), length: UInt32(total), lkey: ring.lkey)
                wr.pointee.num_sge = 1
                if total <= ring.maxInlineData { flags.insert(.inline) }
            }
            wr.pointee.send_flags = flags.rawValue
            ring.chainLength = n + 1
        }
        return totals
    }

    /// Waits until every lane has posted what it was handed and every posted send has
    /// completed (before an address handle goes away); throws the first failure after
    /// waiting for all of them.
    func quiesceSends() throws(TransportError) {
        var firstError: TransportError?
        for lane in lanes {
            do { try finishPosting(lane) } catch { firstError = firstError ?? error }
        }
        do {
            try sendRing.quiesce(timeout: configuration.sendStallTimeout)
            for lane in lanes { try lane.ring.quiesce(timeout: configuration.sendStallTimeout) }
        } catch {
            firstError = firstError ?? error
        }
        takeCompletionErrors()
        if let firstError { throw firstError }
    }

    /// Polls the send completion queues, of the transport's queue pair and of every idle
    /// lane (counting what the lane posted), freeing completed slots. Returns the
    /// completions seen.
    @discardableResult
    func reapSendCompletions() throws(TransportError) -> Int {
        var n = try sendRing.reap()
        for lane in lanes where lane.isIdle {
            try finishPosting(lane)
            n += try lane.ring.reap()
        }
        takeCompletionErrors()
        return n
    }

    /// Counts the sends that completed with an error status.
    private func takeCompletionErrors() {
        counters.sendErrors += sendRing.takeCompletionErrors()
        for lane in lanes { counters.sendErrors += lane.ring.takeCompletionErrors() }
    }
}
#endif
