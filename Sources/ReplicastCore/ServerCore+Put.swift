import ReplicastWire

extension ServerCore {
    /// Runs `body` on put `key` where it is stored (nil when there is none), so that a change
    /// cannot be lost to a copy that is not written back.
    @discardableResult
    mutating func withPut<R>(_ key: RequestID, _ body: (inout ServerPut) -> R) -> R? {
        guard puts[key] != nil else { return nil }
        return body(&puts[key]!)
    }

    /// Runs `body` on put `key` where it is stored, first storing `make()` when there is none.
    @discardableResult
    mutating func withPut<R>(
        _ key: RequestID, creating make: @autoclosure () -> ServerPut, _ body: (inout ServerPut) -> R
    ) -> R {
        body(&puts[key, default: make()])
    }

    mutating func onPutProposal(_ m: PutProposal, id: RequestID, now: Instant) {
        guard isMember(m.negotiatingGroup) else { return }
        stats.proposals += 1
        cache.begin(id, now: now)
        if !m.immediate.isEmpty {
            onImmediatePutProposal(m, id: id, now: now)
            return
        }

        let answer: PutAccept.Answer
        if let storage = storageAnswer(m, now: now) {
            answer = storage
        } else if !configuration.reservations {
            // No calendar (the comparison): every proposal gets the full rate at once.
            let rate = max(1, min(m.maxDeliveryRate, inboundRateCap))
            let duration = Duration.nanoseconds(Int64(Double(m.chunkLength) / Double(rate) * 1e9) + 1)
            join(m.deliveryGroup)
            answer = .proposedRendezvous(RendezvousWindow(
                start: now + configuration.leadTime, duration: duration + configuration.windowSlack, rate: rate))
            stats.acceptsOffered += 1
        } else {
            let queueDelay = Duration.nanoseconds(Int64(Double(pendingWriteBytes) / Double(configuration.storageWriteRate) * 1e9))
            let window = offerCalendar.earliestWindow(
                notBefore: now + configuration.leadTime + queueDelay, bytes: m.chunkLength, maxRate: m.maxDeliveryRate,
                slack: configuration.windowSlack)
            if window.start - now > configuration.maxWait {
                answer = .notNow(earliestRetry: window.start)
                stats.notNow += 1
            } else {
                calendar.reserve(id, window, expiry: window.end + configuration.grace)
                join(m.deliveryGroup)
                answer = .proposedRendezvous(window)
                stats.acceptsOffered += 1
            }
        }
        // The server joined the Delivery Group exactly when it offered a window.
        let offer: RendezvousWindow?
        if case .proposedRendezvous(let w) = answer { offer = w } else { offer = nil }
        let accept = Message.putAccept(PutAccept(proposal: id, negotiatingGroup: m.negotiatingGroup, answer: answer))
        let fresh = ServerPut(client: id.source, deadline: now)
        switch m.consensus {
        case .client:
            respond(.node(id.source), to: id, accept, now: now)
            let deadline = offer.map { $0.end + configuration.grace } ?? now
            let joined = withPut(id, creating: fresh) { p in
                p.proposal = m
                if let offer {
                    p.offer = offer
                    p.enterOffered()
                }
                p.deadline = deadline
                return p.offer != nil
            }
            if !joined { puts[id] = nil }
        case .cluster:
            respond(.negotiatingGroup(m.negotiatingGroup), to: id, accept, now: now)
            let me = self.me, members = table.members(of: m.negotiatingGroup), deadline = now + collectWait
            let answers = withPut(id, creating: fresh) { p in
                p.proposal = m
                if let offer { p.offer = offer }
                _ = p.recordAnswer(answer, from: me)
                p.round.startedAt = now
                _ = p.round.record(me, of: members, now: now)
                p.deadline = deadline
                return p.undecidedAnswers
            }
            if let answers, answeredByAll(answers, row: m.negotiatingGroup) { decideCluster(id, now: now) }
        }
    }

    /// What the store alone answers to proposal `m` (counted): Content Already Stored when
    /// this server holds the chunk under the proposal's name, Not Now when it lacks the space
    /// for a chunk it does not hold; nil when it could take the chunk.
    private mutating func storageAnswer(_ m: PutProposal, now: Instant) -> PutAccept.Answer? {
        if holds(m) {
            stats.alreadyStored += 1
            return .alreadyStored
        }
        if !catalog.contains(m.contentHash) && freeBytes < m.chunkLength + configuration.reserveBytes + pendingWriteBytes {
            stats.notNow += 1
            return .notNow(earliestRetry: now + configuration.maxWait)
        }
        return nil
    }

    /// A proposal carrying the whole chunk (PROTOCOL.md § 12.1) needs no rendezvous and so no
    /// consensus: whatever its consensus, a member that holds the chunk answers Content Already
    /// Stored, one short of space Not Now (both to the client), and any other stores the chunk at
    /// once (no booking, no Delivery Group) and answers Payload ACK once it is persisted, or
    /// Payload NAK. A proposal carrying a prefix only is refused (Payload NAK `unexpected`): this
    /// implementation does not complete a chunk from a transfer at an offset.
    mutating func onImmediatePutProposal(_ m: PutProposal, id: RequestID, now: Instant) {
        guard UInt64(m.immediate.count) == m.chunkLength else {
            stats.naks += 1
            respond(.node(id.source), to: id, .payloadNak(PayloadNak(
                proposal: id, contentHash: m.contentHash, code: .unexpected)), now: now)
            return
        }
        if let answer = storageAnswer(m, now: now) {
            respond(.node(id.source), to: id, .putAccept(PutAccept(
                proposal: id, negotiatingGroup: m.negotiatingGroup, answer: answer)), now: now)
            return
        }
        var proposal = m
        proposal.immediate = .empty  // the bytes go to the store, not into the put's state
        var p = ServerPut(client: id.source, deadline: now + configuration.grace)
        p.proposal = proposal
        p.direct = true
        p.phase = .storing(ServerPut.Storing(role: .member, contentHash: m.contentHash))
        puts[id] = p
        let token = newStoreToken()
        pendingStores[token] = .put(id, bytes: m.chunkLength)
        pendingWriteBytes += m.chunkLength
        actions.append(.effect(.store(StoreRequest(
            token: token, contentHash: m.contentHash, name: m.name, payload: m.immediate, designated: true))))
    }

    /// Whether this server stores what `m` proposes: the content, and for a named chunk that
    /// name and version too. Content stored under other names (or none) is not enough: the put
    /// goes on as if it were not stored (the store writes no second copy, and records the name
    /// when the verified bytes come), so that the new version is found.
    func holds(_ m: PutProposal) -> Bool {
        guard catalog.contains(m.contentHash) else { return false }
        return m.name.map { catalog.contains(m.contentHash, named: $0) } ?? true
    }

    func answeredByAll(_ answers: [NodeID: PutAccept.Answer], row: RowID) -> Bool {
        Set(table.members(of: row)).isSubset(of: answers.keys)
    }

    /// Cluster consensus: a peer's answer to a proposal (it may come before the proposal).
    mutating func onPutAccept(_ m: PutAccept, from server: NodeID, now: Instant) {
        guard server != me, isMember(m.negotiatingGroup) else { return }
        let members = table.members(of: m.negotiatingGroup)
        let fresh = ServerPut(client: m.proposal.source, deadline: now + configuration.collectTimeout + configuration.grace)
        let (round, answers) = withPut(m.proposal, creating: fresh) { p in
            // A late answer (the put decided) only teaches the wait.
            let round = p.round.record(server, of: members, now: now)
            let undecided = p.recordAnswer(m.answer, from: server)
            return (round, undecided && p.proposal != nil ? p.undecidedAnswers : nil)
        }
        if let round { answerRounds.add(round) }
        if let answers, answeredByAll(answers, row: m.negotiatingGroup) {
            decideCluster(m.proposal, now: now)
        }
    }

    /// Cluster consensus: every member evaluates the same answers with the same policy.
    mutating func decideCluster(_ key: RequestID, now: Instant) {
        guard let p = puts[key], let proposal = p.proposal, let answers = p.undecidedAnswers else { return }
        let designated = table.designated(of: proposal.negotiatingGroup)
        var offers: [NodeID: RendezvousWindow] = [:]
        var stored: [NodeID] = []
        for (server, answer) in answers {
            switch answer {
            case .proposedRendezvous(let w): offers[server] = w
            case .alreadyStored: stored.append(server)
            case .notNow: break
            }
        }
        var zones: [NodeID: String] = [:]
        for s in answers.keys { zones[s] = table.server(s)?.zone }
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
            leader = firstDesignated(Array(answers.keys))
        }
        let isLeader = leader == me
        if isLeader {
            send(.node(p.client), .response, .consensusPutAccept(ConsensusPutAccept(
                proposal: key, negotiatingGroup: proposal.negotiatingGroup, members: members,
                alreadyStored: stored.sorted(), window: window)))
        }
        if members.contains(me) {
            let tally = isLeader ? ServerPut.LeaderTally(members: members) : nil
            let deadline = window.end + configuration.grace
            withPut(key) { p in
                p.apply(.chosen(leader: tally))
                p.deadline = deadline
            }
            if !book(key, window) { nak(key, .rateTooHigh) }
        } else if let offered = p.offer, !isLeader {
            // Members may have seen different answers (a lost accept) and so decided
            // differently; the leader's decision is the one the client follows. Stay in the
            // group until the transfer lists who receives it, or the offered window passes.
            let deadline = max(window.end, offered.end) + configuration.grace
            withPut(key) { p in
                p.apply(.standingBy)
                p.deadline = deadline
            }
        } else {
            releasePut(key)
        }
    }

    /// Client consensus: the client's choice, multicast to the Delivery Group before the
    /// transfer. A chosen member books just the transfer; any other releases its booking
    /// and leaves.
    mutating func onConsensusPutAccept(_ m: ConsensusPutAccept, from source: NodeID, now: Instant) {
        guard source == m.proposal.source, let p = puts[m.proposal], p.consensus == .client, !p.isStoring else { return }
        guard m.members.contains(me) else {
            releasePut(m.proposal)
            return
        }
        let deadline = max(p.deadline, m.window.end + configuration.grace)
        withPut(m.proposal) { p in
            p.enterBooked()
            p.deadline = deadline
        }
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
        if gets[m.request]?.isVolunteer == true {
            volunteerReceived(m, now: now)
            return
        }
        if puts[m.request] == nil {
            // Only an indefinite reservation takes transfers without a proposal; any other was
            // never booked in the ingress calendar (or its booking is gone): refused, and the
            // sender told so if it lists this server.
            guard configuration.standingReservations[m.request.source] != nil else {
                guard m.members.contains(me) else { return }
                stats.unbookedTransfers += 1
                stats.naks += 1
                send(.node(m.request.source), .response, .payloadNak(PayloadNak(
                    proposal: m.request, contentHash: m.contentHash, code: .unexpected)))
                return
            }
            puts[m.request] = ServerPut(client: m.request.source, deadline: now + configuration.grace)
        }
        guard m.members.contains(me) else {
            // Expedited limited join: not listed, so leave.
            stats.leftNotListed += 1
            releasePut(m.request)
            return
        }
        guard m.rate <= configuration.reservedInboundRate else {
            nak(m.request, .rateTooHigh)
            return
        }
        guard let p = puts[m.request], !p.isStoring else { return }
        let tokens = Int(m.trackingTokensLength)
        guard tokens <= m.content.count else {
            nak(m.request, .unexpected)
            return
        }
        let chunk = m.content.slice(tokens..<m.content.count)
        let token = newStoreToken()
        pendingStores[token] = .put(m.request, bytes: UInt64(chunk.count))
        pendingWriteBytes += UInt64(chunk.count)
        let deadline = max(p.deadline, now + configuration.grace)
        withPut(m.request) { p in
            p.startStoring(m)
            p.deadline = deadline
        }
        actions.append(.effect(.store(StoreRequest(
            token: token, contentHash: m.contentHash, name: p.proposal?.name, payload: chunk, designated: true))))
    }

    /// The chunk of a put was persisted (or not): ACK or NAK.
    mutating func putStored(_ key: RequestID, bytes: UInt64, result: Result<Void, StoreFailure>, now: Instant) {
        guard let p = puts[key] else { return }
        let me = self.me
        switch result {
        case .success:
            guard let hash = p.proposal?.contentHash ?? p.transferHash else { return }
            stats.chunksStored += 1
            inboundTransferCompleted()
            catalog.add(hash, length: bytes, designated: true, name: p.proposal?.name)
            let ack = PayloadAck(proposal: key, contentHash: hash, name: p.proposal?.name)
            if p.direct {
                // Remembered: a retransmitted proposal is answered with the ACK.
                respond(.node(p.client), to: key, .payloadAck(ack), now: now)
            } else if p.answersToGroup, let group = p.proposal?.deliveryGroup {
                send(.group(group), .response, .payloadAck(ack))
                // The leader counts its own ACK and goes on collecting the members'.
                if withPut(key, { $0.leaderStored(acked: true, me: me) }) == true {
                    leaderCheck(key)
                    return
                }
            } else {
                send(.node(p.client), .response, .payloadAck(ack))
            }
            releasePut(key)
        case .failure(let f):
            // The leader's store is over too: it NAKs, and goes on collecting its peers' answers.
            withPut(key) { _ = $0.leaderStored(acked: false, me: me) }
            nak(key, f == .hashMismatch ? .hashMismatch : .storageFailure)
        }
    }

    mutating func onPayloadAck(_ m: PayloadAck, from server: NodeID, now: Instant) {
        guard withPut(m.proposal, { $0.countMemberAnswer(server, acked: true) }) == true else { return }
        leaderCheck(m.proposal)
    }

    mutating func onPayloadNak(_ m: PayloadNak, from server: NodeID) {
        guard server != me, withPut(m.proposal, { $0.countMemberAnswer(server, acked: false) }) == true else { return }
        leaderCheck(m.proposal)
    }

    /// Cluster leader: once every member has ACKed or NAKed, tell the client.
    mutating func leaderCheck(_ key: RequestID, force: Bool = false) {
        guard let p = puts[key], case .leading(let tally) = p.phase, let proposal = p.proposal,
              force || tally.isComplete
        else { return }
        send(.node(p.client), .response, .consensusAck(ConsensusAck(
            proposal: key, contentHash: proposal.contentHash, storedOn: tally.acks.sorted())))
        releasePut(key)
    }

    mutating func nak(_ key: RequestID, _ code: NakCode) {
        guard let p = puts[key] else { return }
        stats.naks += 1
        let hash = p.proposal?.contentHash ?? .zero
        let nak = Message.payloadNak(PayloadNak(proposal: key, contentHash: hash, code: code))
        if p.answersToGroup, let group = p.proposal?.deliveryGroup {
            send(.group(group), .response, nak)
        } else {
            send(.node(p.client), .response, nak)
        }
        if p.isLeader {
            // The leader's own NAK is one answer of the tally: it still reports the members that
            // stored the chunk, once they have all answered (or at its deadline).
            let me = self.me
            withPut(key) { _ = $0.countMemberAnswer(me, acked: false) }
            leaderCheck(key)
        } else {
            releasePut(key)
        }
    }

    /// Releases the reservation, leaves the group, forgets the put.
    mutating func releasePut(_ key: RequestID) {
        guard let p = puts.removeValue(forKey: key) else { return }
        calendar.release(key)
        if p.offer != nil, let group = p.proposal?.deliveryGroup { leave(group) }
    }

    mutating func onRelayedAck(_ m: RelayedAck) {
        // The client has what it needs: anything still pending for that proposal is moot.
        if let p = puts[m.proposal], !p.isStoring { releasePut(m.proposal) }
    }

    mutating func onTransferAbort(_ m: TransferAbort) {
        if let p = puts[m.request], !p.isStoring { releasePut(m.request) }
        if let g = gets[m.request], g.isVolunteer { releaseGet(m.request) }
    }

    mutating func putDeadline(_ key: RequestID, now: Instant) {
        guard let p = puts[key] else { return }
        switch p.phase {
        case .storing:
            let later = now + configuration.grace
            withPut(key) { $0.deadline = later }
        case .collecting where p.consensus == .cluster:
            decideCluster(key, now: now)
        case .leading:
            leaderCheck(key, force: true)
        default:
            releasePut(key)
        }
    }
}
