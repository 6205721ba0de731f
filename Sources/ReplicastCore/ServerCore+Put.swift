import ReplicastWire

/// A server's state for one put it was asked about.
struct ServerPut: Sendable {
    var proposal: PutProposal?
    var client: NodeID
    var myAnswer: PutAccept.Answer?
    /// Cluster consensus: every member's answer, this server's included.
    var accepts: [NodeID: PutAccept.Answer] = [:]
    var decided = false
    /// The Rendezvous Group chosen (cluster consensus) or listed by the transfer.
    var members: [NodeID] = []
    var isLeader = false
    /// Cluster leader: members whose Payload ACK was seen.
    var acks: Set<NodeID> = []
    /// Cluster leader: members that NAKed (declined or failed).
    var naks: Set<NodeID> = []
    var storing = false
    var joined = false
    /// The content hash from the transfer (when the proposal was never seen).
    var transferHash: HashID?
    var deadline: Instant
    /// Cluster consensus: the members' answers, timed from the proposal's arrival for the
    /// answer-round estimate.
    var round = AnswerRound()

    var consensus: ConsensusMode { proposal?.consensus ?? .client }
}

extension ServerCore {
    mutating func onPutProposal(_ m: PutProposal, id: RequestID, now: Instant) {
        guard isMember(m.negotiatingGroup) else { return }
        stats.proposals += 1
        cache.begin(id, now: now)
        var p = puts[id] ?? ServerPut(client: id.source, deadline: now)
        p.proposal = m
        p.client = id.source

        let answer: PutAccept.Answer
        if catalog.contains(m.contentHash) {
            answer = .alreadyStored
            stats.alreadyStored += 1
        } else if freeBytes < m.chunkLength + configuration.reserveBytes + pendingWriteBytes {
            answer = .notNow(earliestRetry: now + configuration.maxWait)
            stats.notNow += 1
        } else if !configuration.reservations {
            // No calendar (the comparison): every proposal gets the full rate at once.
            let rate = max(1, min(m.maxDeliveryRate, configuration.reservedInboundRate))
            let duration = Duration.nanoseconds(Int64(Double(m.chunkLength) / Double(rate) * 1e9) + 1)
            join(m.deliveryGroup)
            p.joined = true
            answer = .proposedRendezvous(RendezvousWindow(
                start: now + configuration.leadTime, duration: duration + configuration.windowSlack, rate: rate))
            stats.acceptsOffered += 1
        } else {
            let queueDelay = Duration.nanoseconds(Int64(Double(pendingWriteBytes) / Double(configuration.storageWriteRate) * 1e9))
            let window = calendar.earliestWindow(
                notBefore: now + configuration.leadTime + queueDelay, bytes: m.chunkLength, maxRate: m.maxDeliveryRate,
                slack: configuration.windowSlack)
            if window.start - now > configuration.maxWait {
                answer = .notNow(earliestRetry: window.start)
                stats.notNow += 1
            } else {
                calendar.reserve(id, window, expiry: window.end + configuration.grace)
                join(m.deliveryGroup)
                p.joined = true
                answer = .proposedRendezvous(window)
                stats.acceptsOffered += 1
            }
        }
        p.myAnswer = answer
        let accept = Message.putAccept(PutAccept(proposal: id, negotiatingGroup: m.negotiatingGroup, answer: answer))
        switch m.consensus {
        case .client:
            respond(.node(id.source), to: id, accept, now: now)
            if case .proposedRendezvous(let w) = answer { p.deadline = w.end + configuration.grace } else { p.deadline = now }
            puts[id] = p
            if !p.joined { puts[id] = nil }
        case .cluster:
            respond(.negotiatingGroup(m.negotiatingGroup), to: id, accept, now: now)
            p.accepts[me] = answer
            p.round.startedAt = now
            _ = p.round.record(me, of: table.members(of: m.negotiatingGroup), now: now)
            p.deadline = now + collectWait
            puts[id] = p
            if answeredByAll(p, row: m.negotiatingGroup) { decideCluster(id, now: now) }
        }
    }

    func answeredByAll(_ p: ServerPut, row: RowID) -> Bool {
        Set(table.members(of: row)).isSubset(of: p.accepts.keys)
    }

    mutating func onPutAccept(_ m: PutAccept, from server: NodeID, now: Instant) {
        guard server != me, isMember(m.negotiatingGroup) else { return }
        var p = puts[m.proposal] ?? ServerPut(client: m.proposal.source, deadline: now + configuration.collectTimeout + configuration.grace)
        if let round = p.round.record(server, of: table.members(of: m.negotiatingGroup), now: now) { answerRounds.add(round) }
        guard !p.decided else {
            puts[m.proposal] = p  // a late answer: it only teaches the wait
            return
        }
        p.accepts[server] = m.answer
        puts[m.proposal] = p
        if p.proposal != nil && answeredByAll(p, row: m.negotiatingGroup) {
            decideCluster(m.proposal, now: now)
        }
    }

    /// Cluster consensus: every member evaluates the same answers with the same policy.
    mutating func decideCluster(_ key: RequestID, now: Instant) {
        guard var p = puts[key], let proposal = p.proposal, !p.decided else { return }
        p.decided = true
        let designated = table.designated(of: proposal.negotiatingGroup)
        var offers: [NodeID: RendezvousWindow] = [:]
        var stored: [NodeID] = []
        for (server, answer) in p.accepts {
            switch answer {
            case .proposedRendezvous(let w): offers[server] = w
            case .alreadyStored: stored.append(server)
            case .notNow: break
            }
        }
        var zones: [NodeID: String] = [:]
        for s in p.accepts.keys { zones[s] = table.server(s)?.zone }
        let decision = configuration.policy.choose(RendezvousInput(
            replicas: Int(proposal.replicas), designated: designated, zones: zones,
            alreadyStored: stored.sorted(), offers: offers, length: proposal.chunkLength,
            maxRate: proposal.maxDeliveryRate))

        let firstDesignated = { (among: [NodeID]) -> NodeID? in
            designated.first(where: among.contains) ?? among.min()
        }
        var members: [NodeID] = []
        var window = RendezvousWindow(start: now, duration: .zero, rate: 0)
        let leader: NodeID?
        switch decision {
        case .transfer(let m, let w):
            members = m
            window = w
            leader = firstDesignated(m)
        case .sufficient:
            leader = firstDesignated(stored)
        case .insufficient:
            leader = firstDesignated(Array(p.accepts.keys))
        }
        p.isLeader = leader == me
        p.members = members
        if p.isLeader {
            send(.node(p.client), .response, .consensusPutAccept(ConsensusPutAccept(
                proposal: key, negotiatingGroup: proposal.negotiatingGroup, members: members,
                alreadyStored: stored.sorted(), window: window)))
        }
        if members.contains(me) {
            p.deadline = window.end + configuration.grace
            puts[key] = p
            if !book(key, window) { nak(key, .rateTooHigh) }
        } else if case .proposedRendezvous(let offered)? = p.myAnswer, !p.isLeader {
            // Members may have seen different answers (a lost accept) and so decided
            // differently; the leader's decision is the one the client follows. Stay in the
            // group until the transfer lists who receives it, or the offered window passes.
            p.deadline = max(window.end, offered.end) + configuration.grace
            puts[key] = p
        } else {
            puts[key] = p
            releasePut(key)
        }
    }

    /// Client consensus: the client's choice, multicast to the Delivery Group before the
    /// transfer. A chosen member books just the transfer; any other releases its booking
    /// and leaves.
    mutating func onConsensusPutAccept(_ m: ConsensusPutAccept, from source: NodeID, now: Instant) {
        guard source == m.proposal.source, var p = puts[m.proposal], p.consensus == .client, !p.storing else { return }
        guard m.members.contains(me) else {
            releasePut(m.proposal)
            return
        }
        p.deadline = max(p.deadline, m.window.end + configuration.grace)
        puts[m.proposal] = p
        if !book(m.proposal, m.window) { nak(m.proposal, .rateTooHigh) }
    }

    /// Books the chosen transfer window of a put in place of the window offered: inside it,
    /// the booking just shrinks; outside, it must fit among the other reservations. False
    /// when it does not (the server then declines the transfer, and the chooser retries).
    mutating func book(_ key: RequestID, _ window: RendezvousWindow) -> Bool {
        guard configuration.reservations else { return true }
        guard calendar.canReserve(window, replacing: key) else {
            stats.declinedWindows += 1
            return false
        }
        calendar.reserve(key, window, expiry: window.end + configuration.grace)
        return true
    }

    mutating func onRendezvousTransfer(_ m: RendezvousTransfer, now: Instant) {
        if gets[m.request]?.volunteering == true {
            volunteerReceived(m, now: now)
            return
        }
        var p = puts[m.request] ?? ServerPut(client: m.request.source, deadline: now + configuration.grace)
        p.members = m.members
        p.transferHash = m.contentHash
        guard m.members.contains(me) else {
            // Expedited limited join: not listed, so leave.
            stats.leftNotListed += 1
            puts[m.request] = p
            releasePut(m.request)
            return
        }
        guard m.rate <= configuration.reservedInboundRate else {
            puts[m.request] = p
            nak(m.request, .rateTooHigh)
            return
        }
        guard !p.storing else { return }
        let tokens = Int(m.trackingTokensLength)
        guard tokens <= m.content.count else {
            puts[m.request] = p
            nak(m.request, .unexpected)
            return
        }
        let chunk = m.content.slice(tokens..<m.content.count)
        let token = newToken()
        pending[token] = .storePut(m.request, bytes: UInt64(chunk.count))
        pendingWriteBytes += UInt64(chunk.count)
        p.storing = true
        p.deadline = max(p.deadline, now + configuration.grace)
        puts[m.request] = p
        actions.append(.store(StoreRequest(
            token: token, contentHash: m.contentHash, name: p.proposal?.name, payload: chunk, designated: true)))
    }

    /// The chunk of a put was persisted (or not): ACK or NAK.
    mutating func putStored(_ key: RequestID, bytes: UInt64, result: Result<Void, StoreFailure>, now: Instant) {
        guard var p = puts[key] else { return }
        p.storing = false
        puts[key] = p
        switch result {
        case .success:
            guard let hash = p.proposal?.contentHash ?? p.transferHash else { return }
            stats.chunksStored += 1
            catalog.add(hash, length: bytes, designated: true, name: p.proposal?.name)
            let ack = PayloadAck(proposal: key, contentHash: hash, name: p.proposal?.name)
            if p.consensus == .cluster, let group = p.proposal?.deliveryGroup {
                send(.group(group), .response, .payloadAck(ack))
                if p.isLeader {
                    p.acks.insert(me)
                    puts[key] = p
                    leaderCheck(key)
                    return
                }
            } else {
                send(.node(p.client), .response, .payloadAck(ack))
            }
            releasePut(key)
        case .failure(let f):
            nak(key, f == .hashMismatch ? .hashMismatch : .storageFailure)
        }
    }


    mutating func onPayloadAck(_ m: PayloadAck, from server: NodeID, now: Instant) {
        guard var p = puts[m.proposal], p.isLeader else { return }
        p.acks.insert(server)
        puts[m.proposal] = p
        leaderCheck(m.proposal)
    }

    mutating func onPayloadNak(_ m: PayloadNak, from server: NodeID) {
        guard var p = puts[m.proposal], p.isLeader, server != me else { return }
        p.naks.insert(server)
        puts[m.proposal] = p
        leaderCheck(m.proposal)
    }

    /// Cluster leader: once every member has ACKed or NAKed, tell the client.
    mutating func leaderCheck(_ key: RequestID, force: Bool = false) {
        guard let p = puts[key], p.isLeader, let proposal = p.proposal else { return }
        guard force || Set(p.members).isSubset(of: p.acks.union(p.naks)), !p.storing else { return }
        send(.node(p.client), .response, .consensusAck(ConsensusAck(
            proposal: key, contentHash: proposal.contentHash, storedOn: p.acks.sorted())))
        releasePut(key)
    }

    mutating func nak(_ key: RequestID, _ code: NakCode) {
        guard let p = puts[key] else { return }
        stats.naks += 1
        let hash = p.proposal?.contentHash ?? .zero
        let nak = Message.payloadNak(PayloadNak(proposal: key, contentHash: hash, code: code))
        if p.consensus == .cluster, let group = p.proposal?.deliveryGroup {
            send(.group(group), .response, nak)
        } else {
            send(.node(p.client), .response, nak)
        }
        if p.isLeader { leaderCheck(key, force: true) } else { releasePut(key) }
    }

    /// Releases the reservation, leaves the group, forgets the put.
    mutating func releasePut(_ key: RequestID) {
        guard let p = puts[key] else { return }
        calendar.release(key)
        if p.joined, let group = p.proposal?.deliveryGroup { leave(group) }
        puts[key] = nil
    }

    mutating func onRelayedAck(_ m: RelayedAck) {
        // The client has what it needs: anything still pending for that proposal is moot.
        if let p = puts[m.proposal], !p.storing { releasePut(m.proposal) }
    }

    mutating func onTransferAbort(_ m: TransferAbort) {
        if let p = puts[m.request], !p.storing { releasePut(m.request) }
        if let g = gets[m.request], g.volunteering { releaseGet(m.request) }
    }

    mutating func putDeadline(_ key: RequestID, now: Instant) {
        guard let p = puts[key] else { return }
        if p.storing {
            let later = now + configuration.grace
            puts[key]?.deadline = later
        } else if p.proposal != nil && p.consensus == .cluster && !p.decided {
            decideCluster(key, now: now)
        } else if p.isLeader {
            leaderCheck(key, force: true)
        } else {
            releasePut(key)
        }
    }
}
