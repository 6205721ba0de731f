import ReplicastCore
import ReplicastWire

extension Simulation {
    /// Watches a server's driver: traces the messages delivered and tells the checkers what
    /// the core did.
    func observe(_ s: SimulatedServer) {
        s.driver?.actionObserver = { [unowned self, unowned s] inbound, actions in
            if let inbound {
                trace?("\(now) \(inbound.source) -> \(s.id) \(inbound.message.traceDescription) \(inbound.id)")
            }
            tellCheckers { $0.serverActed(s.id, inbound: inbound, actions: actions, in: $1) }
        }
    }

    /// Carries out what a server's driver asks after an event: joins and leaves, disk
    /// requests, datagrams due; then tells the checkers and arms its next deadline.
    func settle(_ s: SimulatedServer) {
        guard let driver = s.driver else { return }
        carryOut(driver, of: s.id) { request in
            switch request {
            case .store(let request):
                // Writes stream at the write rate one after another.
                let seconds = Double(request.payload.count) / Double(configuration.storage.writeRate)
                s.diskFreeAt = max(now, s.diskFreeAt) + .nanoseconds(Int64(seconds * 1e9))
                schedule(.written(s.id, incarnation: s.attachment.incarnation, request), at: s.diskFreeAt)
            case .load(let request):
                schedule(.loaded(s.id, incarnation: s.attachment.incarnation, request),
                         at: now + configuration.storage.readLatency)
            }
        }
        tellCheckers { $0.serverSettled(s.id, in: $1) }
        arm(s.id, deadline: driver.nextDeadline)
    }

    /// The disk wrote a chunk's last byte, or failed (an I/O error, a full store): a failure
    /// is reported to the core at once; a write is flushed a latency later (more for a slow
    /// flush), after the flushes before it. A lying disk reports the write complete now.
    func written(_ request: StoreRequest, at id: NodeID, incarnation: Int) {
        let s = server(id)
        guard s.attachment.incarnation == incarnation, s.driver != nil else { return }
        let result: Result<Void, StoreFailure>
        if diskRandom.chance(faults.writeErrors) {
            report.disks.writeErrors += 1
            result = .failure(.ioError)
        } else {
            result = s.store.write(request)
        }
        guard case .success = result else {
            if case .failure(.full) = result { report.disks.fullWrites += 1 }
            completeWrite(request, result: result, at: s)
            return
        }
        var latency = configuration.storage.writeLatency
        if diskRandom.chance(faults.slowFlushes) {
            report.disks.slowFlushes += 1
            latency += diskRandom.duration(in: faults.flushSpike)
        }
        s.flushedAt = max(now + latency, s.flushedAt)
        schedule(.flushed(s.id, incarnation: incarnation, request), at: s.flushedAt)
        if configuration.storage.reportsWritesBeforeFlush { completeWrite(request, result: result, at: s) }
    }

    /// The disk flushed a written chunk: it is durable before the core hears of it.
    func flushed(_ request: StoreRequest, at id: NodeID, incarnation: Int) {
        let s = server(id)
        guard s.attachment.incarnation == incarnation, s.driver != nil else { return }
        s.store.flush(request.contentHash)
        if !configuration.storage.reportsWritesBeforeFlush { completeWrite(request, result: .success(()), at: s) }
    }

    private func completeWrite(_ request: StoreRequest, result: Result<Void, StoreFailure>, at s: SimulatedServer) {
        guard let driver = s.driver else { return }
        let freeBytes = s.store.freeBytes
        let local = localNow(s.id)
        driver.withCore(now: local) {
            $0.updateFreeBytes(freeBytes)
            $0.storeCompleted(token: request.token, result: result, now: local)
        }
        settle(s)
    }

    /// Something else fills the disk of a random server whose disk is not yet full: its
    /// writes fail as full from now on (the core learns its free space at its next
    /// completed write, as the runtime's does).
    func fillDisk() {
        let candidates = servers.filter { $0.store.freeBytes > 0 }
        guard !candidates.isEmpty else { return }
        let s = candidates[faultRandom.integer(in: 0...(candidates.count - 1))]
        s.store.fill()
        report.disks.fills += 1
        trace?("\(now) the disk of \(s.id) is full")
    }

    func readFinished(_ request: LoadRequest, at id: NodeID, incarnation: Int) {
        let s = server(id)
        guard s.attachment.incarnation == incarnation, let driver = s.driver else { return }
        let result = s.store.load(request)
        let local = localNow(id)
        driver.withCore(now: local) { $0.loadCompleted(token: request.token, result: result, now: local) }
        settle(s)
    }

    /// Crashes a random running server; it restarts after a random downtime.
    func crashServer() {
        let up = servers.filter { $0.driver != nil }
        guard !up.isEmpty else { return }
        let s = up[faultRandom.integer(in: 0...(up.count - 1))]
        crash(s)
        schedule(.restart(s.id, incarnation: s.attachment.incarnation), at: now + faultRandom.duration(in: faults.downtime))
    }

    /// Crashes server `s` now: its driver and core are lost with what its disk had not
    /// flushed, it leaves every group, and the checkers hear of it.
    func crash(_ s: SimulatedServer) {
        guard let driver = s.driver else { return }
        tally(driver)
        report.disks.lostUnflushedWrites += s.store.unflushed.count
        s.crash(at: now)
        leaveAll(s.id)
        tellCheckers { $0.serverCrashed(s.id, in: $1) }
        report.crashes += 1
    }

    func restart(_ s: SimulatedServer, incarnation: Int) {
        guard s.driver == nil, s.attachment.incarnation == incarnation else { return }
        s.restart(table: table)
        tellCheckers { $0.serverRestarted(s.id, in: $1) }
        observe(s)
        settle(s)
    }
}

extension Action {
    /// A short description for violation reports.
    var summary: String {
        switch self {
        case .send(let out): return "send \(out.message.wireType) \(out.id) to \(out.target)"
        case .join(let g): return "join \(g)"
        case .leave(let g): return "leave \(g)"
        case .effect(let e): return "\(e)"
        }
    }
}

extension Message {
    /// The message's type and the fields that matter when following a run.
    var traceDescription: String {
        switch self {
        case .putAccept(let m): return "PutAccept(\(m.proposal) \(m.answer))"
        case .consensusPutAccept(let m): return "ConsensusPutAccept(\(m.proposal) \(m.members) at \(m.window.start) for \(m.window.duration))"
        case .rendezvousTransfer(let m): return "RendezvousTransfer(\(m.request) \(m.members) \(m.content.count) bytes)"
        case .payloadAck(let m): return "PayloadAck(\(m.proposal))"
        case .payloadNak(let m): return "PayloadNak(\(m.proposal) \(m.code))"
        case .getResponse(let m): return "GetResponse(\(m.request))"
        case .errorGetResponse(let m): return "ErrorGetResponse(\(m.request) \(m.code))"
        default: return "\(wireType)"
        }
    }
}

