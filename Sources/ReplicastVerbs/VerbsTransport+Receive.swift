#if canImport(CIBVerbs)
import CIBVerbs
import SystemPackage
import CVerbsShim
import ReplicastTransport
import ReplicastWire
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension VerbsTransport {
    /// Hands received datagrams to `handler` (their bytes, after the GRH, lie in the receive
    /// slab until the handler returns). When nothing is waiting it first, while traffic flows,
    /// sleeps for `configuration.completionModeration` to let a batch gather; then busy-polls
    /// for `configuration.busyPoll`; then arms the completion queue and sleeps on its channel
    /// and the wake eventfd until `timeout`.
    public func receive(
        timeout: Duration?, _ handler: (ReceivedDatagram) -> Void
    ) throws(TransportError) -> Int {
        try ensureOpen("receive")
        counters.receiveCalls += 1
        let received = try pollOrWait(timeout: timeout, handler)
        if received > 0 { trafficFlowing = true }
        return received
    }

    /// `receive`'s work: what is waiting, or what comes within `timeout` after the moderation
    /// sleep, the busy-poll and the sleep on the completion channel.
    private func pollOrWait(
        timeout: Duration?, _ handler: (ReceivedDatagram) -> Void
    ) throws(TransportError) -> Int {
        var received = try pollReceives(handler)
        if received > 0 { return received }
        if timeout == .zero || consumeWake() { return 0 }

        // Software completion moderation (rxe has no `ibv_modify_cq`): one timed sleep per
        // batch instead of an arm, a wake-up and an event read per datagram or two.
        let moderation = min(configuration.completionModeration, timeout ?? configuration.completionModeration)
        if trafficFlowing, moderation > .zero {
            trafficFlowing = false
            if try sleepUntilWoken(for: moderation) { return 0 }
            received = try pollReceives(handler)
            if received > 0 { return received }
        }

        let clock = ContinuousClock()
        let start = clock.now
        let deadline = timeout.map { start + $0 }
        if configuration.busyPoll > .zero {
            let spinEnd = start + min(configuration.busyPoll, timeout ?? configuration.busyPoll)
            var spins = 0
            while true {
                received = try pollReceives(handler)
                if received > 0 { return received }
                spins += 1
                if spins & 63 == 0, clock.now >= spinEnd { break }
                cvs_cpu_relax()
            }
        }

        while true {
            do {
                try receiveQueue!.requestNotification()
            } catch {
                throw error.transportError
            }
            received = try pollReceives(handler)  // what arrived before the queue was armed
            if received > 0 { return received }
            var waitMilliseconds: Int32 = -1
            if let deadline {
                let left = clock.now.duration(to: deadline)
                guard left > .zero else { return 0 }
                waitMilliseconds = Int32(clamping: left.roundedUpMilliseconds)
            }
            var fds = (
                pollfd(fd: completionFD, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)
            )
            let ready = withUnsafeMutablePointer(to: &fds) {
                $0.withMemoryRebound(to: pollfd.self, capacity: 2) { poll($0, 2, waitMilliseconds) }
            }
            if ready < 0, Errno.last != .interrupted {
                throw VerbsError.last("poll").transportError
            }
            // One arm gives at most one event; one left unread keeps the descriptor readable.
            if fds.0.revents != 0 { completionChannel!.takeEvent() }
            if fds.1.revents != 0 {
                drainWakeDescriptor()
                try ensureOpen("receive")  // the rdma_cm event thread wakes it on a device failure
            }
            received = try pollReceives(handler)
            if received > 0 { return received }
            if consumeWake() { return 0 }
        }
    }

    /// Sleeps up to `duration` unless `wake()` is called; true if it was (and the wake-up is
    /// consumed).
    private func sleepUntilWoken(for duration: Duration) throws(TransportError) -> Bool {
        let rc = cvs_wait_readable(wakeFD, duration.nanoseconds)
        if rc < 0, Errno.last != .interrupted { throw VerbsError.last("ppoll").transportError }
        if rc > 0 { drainWakeDescriptor() }
        return consumeWake()
    }

    /// Clears a pending `wake()`; true if there was one. Checks a flag first, so the common
    /// case makes no system call.
    private func consumeWake() -> Bool {
        guard wakeRequested.exchange(false, ordering: .acquiringAndReleasing) else { return false }
        drainWakeDescriptor()
        return true
    }

    /// Resets the wake eventfd's count (it may already be zero: the flag is set before the write).
    private func drainWakeDescriptor() {
        var count: UInt64 = 0
        _ = Glibc.read(wakeFD, &count, 8)
    }

    /// Polls the receive completion queue in batches until it is empty (or a queue's worth
    /// was handled, so one call stays bounded), handing each datagram to `handler` and
    /// reposting the slots after each batch.
    private func pollReceives(_ handler: (ReceivedDatagram) -> Void) throws(TransportError) -> Int {
        var total = 0
        while true {
            let n = Int(ibv_poll_cq(receiveCQ, Int32(completions.count), completions.baseAddress))
            guard n >= 0 else { throw TransportError("ibv_poll_cq", reason: "receive completion queue failed") }
            if n == 0 { return total }
            for i in 0..<n {
                let wc = completions[i]
                let slot = Int32(truncatingIfNeeded: wc.wr_id)
                if wc.status == IBV_WC_WR_FLUSH_ERR { continue }  // the queue pair is going down
                pendingReposts.append(slot)
                guard wc.status == IBV_WC_SUCCESS else {
                    if wc.status == IBV_WC_LOC_LEN_ERR { counters.truncatedReceives += 1 }
                    continue
                }
                let length = Int(wc.byte_len) - Self.grhSize
                guard length >= 0 else { counters.truncatedReceives += 1; continue }
                let slotBase = UnsafeRawPointer(receiveBase + Int(slot) * receiveSlotSize)
                let source = Endpoint(
                    address: Self.sourceGID(grh: slotBase, hasGRH: ibv_wc_flags(rawValue: wc.wc_flags).contains(.grh)).words,
                    selector: wc.src_qp)
                handler(ReceivedDatagram(
                    bytes: UnsafeRawBufferPointer(start: slotBase + Self.grhSize, count: length), source: source))
                counters.datagramsReceived += 1
                counters.bytesReceived += UInt64(length)
                total += 1
            }
            try repostReceives()
            if n < completions.count || total >= configuration.receiveDepth { return total }
        }
    }

    /// Posts the pending receive slots as one chain of work requests, to the shared receive
    /// queue when there is one.
    func repostReceives() throws(TransportError) {
        let count = pendingReposts.count
        guard count > 0 else { return }
        for (n, slot) in pendingReposts.enumerated() {
            let sge = receiveSGEs + n
            sge.pointee = ibv_sge(
                addr: UInt64(UInt(bitPattern: receiveBase + Int(slot) * receiveSlotSize)),
                length: UInt32(receiveSlotSize), lkey: receiveLKey)
            let wr = receiveRequests + n
            wr.pointee = ibv_recv_wr(wr_id: UInt64(slot), next: n + 1 < count ? wr + 1 : nil, sg_list: sge, num_sge: 1)
        }
        pendingReposts.removeAll(keepingCapacity: true)
        var failed: UnsafeMutablePointer<ibv_recv_wr>? = nil
        if let srq {
            let rc = ibv_post_srq_recv(srq, receiveRequests, &failed)
            guard rc == 0 else { throw VerbsError.returned("ibv_post_srq_recv", rc).transportError }
        } else {
            let rc = ibv_post_recv(qp, receiveRequests, &failed)
            guard rc == 0 else { throw VerbsError.returned("ibv_post_recv", rc).transportError }
        }
    }

    /// The sender's GID from the 40 bytes before a UD datagram: a GRH (IPv6, RoCE v2 over
    /// IPv6 and InfiniBand) holds it at offset 8; for RoCE v2 over IPv4 the IPv4 header fills
    /// the last 20 bytes and the source address is at offset 32.
    static func sourceGID(grh: UnsafeRawPointer, hasGRH: Bool) -> GID {
        guard hasGRH else { return GID(words: (0, 0)) }
        let version = grh.load(as: UInt8.self) >> 4
        if version == 6 { return GID(bytes: grh + 8) }
        let source = UInt32(bigEndian: grh.loadUnaligned(fromByteOffset: 32, as: UInt32.self))
        return GID(ipv4: source)
    }
}
#endif
