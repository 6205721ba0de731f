import ReplicastCore
import ReplicastWire

extension Simulation {
    /// Hands a message to a server's core and checks that a request is acted on once.
    func serverReceives(_ inbound: Inbound, _ s: SimulatedServer) {
        guard s.core != nil else { return }
        s.core!.handle(inbound, now: now)
        let actions = s.core!.pollActions()
        if inbound.kind == .request {
            // A replay resends earlier responses (same ids); anything else is acting afresh.
            let fresh = actions.contains { action in
                if case .send(let out) = action { return !s.sentIDs.contains(out.id) }
                return true
            }
            if fresh && !s.actedOn.insert(inbound.id).inserted {
                ledger.fail(.requestsActedOnOnce, at: now,
                            "\(s.id) acted again on \(inbound.message.wireType) \(inbound.id): \(actions.map(\.summary))")
            }
        }
        perform(actions, for: s)
    }

    /// Carries out a server core's actions.
    func perform(_ actions: [Action], for s: SimulatedServer) {
        for action in actions {
            switch action {
            case .send(let out):
                s.sentIDs.insert(out.id)
                send(out, from: s.id)
            case .join(let group):
                join(group, s.id)
            case .leave(let group):
                leave(group, s.id)
            case .store(let request):
                // Writes stream at the write rate one after another; each is durable a fixed
                // latency after its bytes are written (the device pipelines the flushes).
                let seconds = Double(request.payload.count) / Double(configuration.storage.writeRate)
                s.diskFreeAt = max(now, s.diskFreeAt) + .nanoseconds(Int64(seconds * 1e9))
                schedule(.stored(s.id, incarnation: s.attachment.incarnation, request),
                         at: s.diskFreeAt + configuration.storage.writeLatency)
            case .load(let request):
                schedule(.loaded(s.id, incarnation: s.attachment.incarnation, request),
                         at: now + configuration.storage.readLatency)
            case .putCompleted, .getCompleted, .locateCompleted:
                break
            }
        }
        guard let core = s.core else { return }
        if !s.reportedOverbooking && core.calendar.isOverbooked {
            s.reportedOverbooking = true
            ledger.fail(.reservedIngressWithinAllocation, at: now,
                        "\(s.id) granted more than its reserved inbound rate of \(core.calendar.reservedRate) B/s: "
                            + core.calendar.reservations.map { "\($0.key) \($0.window.start)+\($0.window.duration)@\($0.window.rate)" }
                            .joined(separator: ", "))
        }
        arm(s.id, deadline: core.nextDeadline)
    }

    /// The disk finished a write: it is in the store (durable) before the core hears of it.
    func writeFinished(_ request: StoreRequest, at id: NodeID, incarnation: Int) {
        let s = server(id)
        guard s.attachment.incarnation == incarnation, s.core != nil else { return }
        let result = s.store.store(request)
        s.core!.updateFreeBytes(s.store.freeBytes)
        s.core!.storeCompleted(token: request.token, result: result, now: now)
        perform(s.core!.pollActions(), for: s)
    }

    func readFinished(_ request: LoadRequest, at id: NodeID, incarnation: Int) {
        let s = server(id)
        guard s.attachment.incarnation == incarnation, s.core != nil else { return }
        s.core!.loadCompleted(token: request.token, result: s.store.load(request), now: now)
        perform(s.core!.pollActions(), for: s)
    }

    /// Crashes a random running server; it restarts after a random downtime.
    func crashServer() {
        let up = servers.filter { $0.core != nil }
        guard !up.isEmpty else { return }
        let s = up[faultRandom.integer(in: 0...(up.count - 1))]
        s.crash(at: now)
        leaveAll(s.id)
        report.crashes += 1
        schedule(.restart(s.id, incarnation: s.attachment.incarnation), at: now + faultRandom.duration(in: faults.downtime))
    }

    func restart(_ s: SimulatedServer, incarnation: Int) {
        guard s.core == nil, s.attachment.incarnation == incarnation else { return }
        s.restart(table: table)
        arm(s.id, deadline: s.core!.nextDeadline)
    }
}

extension Action {
    /// A short description for violation reports.
    var summary: String {
        switch self {
        case .send(let out): return "send \(out.message.wireType) \(out.id) to \(out.target)"
        case .join(let g): return "join \(g)"
        case .leave(let g): return "leave \(g)"
        case .store(let r): return "store \(r.contentHash)"
        case .load(let r): return "load \(r.contentHash)"
        case .putCompleted(let o): return "put \(o.token) completed"
        case .getCompleted(let o): return "get \(o.token) completed"
        case .locateCompleted(let t, _): return "locate \(t) completed"
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

