import ReplicastWire

extension ClientCore {
    /// Starts a put of one chunk. `name` makes it a named chunk (a version manifest).
    public mutating func put(
        _ payload: Payload, contentHash: HashID, name: ChunkName? = nil, replicas: Int? = nil,
        consensus: ConsensusMode? = nil, now: Instant
    ) -> TransactionToken {
        let (token, seq) = allocate()
        let row = table.rowID(for: name.map(\.name) ?? contentHash)
        var t = PutTransaction(
            token: token, sequence: seq, contentHash: contentHash, name: name, payload: payload,
            replicas: replicas ?? configuration.replicas, consensus: consensus ?? configuration.consensus,
            row: row, deliveryGroup: pool.group(client: configuration.id, sequence: seq),
            deadline: now, owner: configuration.id)
        t.startedAt = now
        if let standing = configuration.standingReservation, t.consensus == .client, name == nil,
           standingInFlight + UInt64(payload.count) <= standing.credit {
            sendOnStandingReservation(&t, standing, now: now)
        } else {
            t.immediate = !payload.isEmpty && payload.count <= Int(configuration.maxImmediatePut)
            propose(&t, now: now)
        }
        puts[seq] = t
        return token
    }

    /// Indefinite reservation: no proposal; the chunk goes at once (after this client's
    /// earlier standing transfers) to the whole Negotiating Group at the standing rate.
    private mutating func sendOnStandingReservation(_ t: inout PutTransaction, _ standing: StandingReservation, now: Instant) {
        t.attempt += 1
        let members = table.members(of: t.row)
        let rate = max(1, standing.rate)
        let start = max(now, standingBusyUntil)
        let window = RendezvousWindow(
            start: start, duration: .nanoseconds(Int64(Double(t.payload.count) / Double(rate) * 1e9) + 1), rate: rate)
        standingBusyUntil = window.end
        t.standingBytes = UInt64(t.payload.count)
        standingInFlight += t.standingBytes
        let transfer = RendezvousTransfer(
            request: t.proposalID, deliveryGroup: t.deliveryGroup, members: members, rate: rate,
            contentHash: t.contentHash, content: t.payload)
        emit(.negotiatingGroup(t.row), .notification, t.transferID, .rendezvousTransfer(transfer), pacing: window)
        t.transferred = true
        t.phase = .transferring(members: members)
        t.deadline = window.end + configuration.ackGrace
    }

    /// Sends the next proposal of `t`.
    private mutating func propose(_ t: inout PutTransaction, now: Instant) {
        t.attempt += 1
        t.answers = [:]
        t.acked = []
        t.nakked = []
        t.suggestedRetry = nil
        let at = pacer.schedule(now: now)
        if at > now {
            t.phase = .paced
            t.deadline = at
            return
        }
        sendProposal(&t, now: now)
    }

    /// Sends the current attempt's proposal.
    private mutating func sendProposal(_ t: inout PutTransaction, now: Instant) {
        t.phase = .negotiating
        let proposal = PutProposal(
            negotiatingGroup: t.row, contentHash: t.contentHash, name: t.name,
            chunkLength: UInt64(t.payload.count), deliveryGroup: t.deliveryGroup,
            maxDeliveryRate: proposedRate(row: t.row, consensus: t.consensus), replicas: UInt8(clamping: t.replicas),
            consensus: t.consensus, immediate: t.immediate ? t.payload : .empty)
        emit(.negotiatingGroup(t.row), .request, t.proposalID, .putProposal(proposal))
        // Cluster consensus: the servers collect among themselves first, then the leader answers.
        let wait = collectWait(attempt: t.attempt)
        t.round = AnswerRound(startedAt: now)
        t.deadline = now + (t.consensus == .client ? wait : wait * 3)
        if t.immediate {
            // The proposal carried the chunk: every member answers the client directly, with a
            // Payload ACK once it stored it (or NAK), or a Put Accept (already stored, not now).
            t.transferred = true
            t.phase = .transferring(members: table.members(of: t.row))
            t.deadline = now + wait + configuration.ackGrace
        }
    }

    /// An immediate put's round is over once every member answered (ACK, NAK or Put Accept).
    private func immediateRoundComplete(_ t: PutTransaction, _ members: [NodeID]) -> Bool {
        Set(members).isSubset(of: t.acked.union(t.nakked).union(t.answers.keys))
    }

    func current(_ proposal: RequestID) -> UInt32? {
        guard proposal.source == configuration.id, let t = puts[proposal.sequence],
              t.proposalID == proposal
        else { return nil }
        return proposal.sequence
    }

    mutating func onPutAccept(_ m: PutAccept, from server: NodeID, now: Instant) {
        guard let seq = current(m.proposal), var t = puts[seq], t.consensus == .client || t.immediate else { return }
        let roundTrip = t.round.record(server, of: expectedAnswerers(of: t.row), now: now)
        if let roundTrip { roundTrips.add(roundTrip) }
        if t.immediate, case .transferring(let members) = t.phase, members.contains(server) {
            // A member that did not store the chunk the proposal carried says why.
            if t.heardNothing { pacer.answered() }
            t.answers[server] = m.answer
            t.everAnswered = true
            switch m.answer {
            case .alreadyStored: t.alreadyStored.insert(server)
            case .notNow(let retry): t.suggestedRetry = min(t.suggestedRetry ?? retry, retry)
            case .proposedRendezvous: break  // a server that does not take immediate content
            }
            puts[seq] = t
            if immediateRoundComplete(t, members) { endRound(seq, now: now) }
            return
        }
        guard case .negotiating = t.phase else {
            puts[seq] = t  // a late answer: it only teaches the wait
            return
        }
        if t.answers.isEmpty { pacer.answered() }
        t.answers[server] = m.answer
        t.everAnswered = true
        if case .notNow(let retry) = m.answer { t.suggestedRetry = min(t.suggestedRetry ?? retry, retry) }
        puts[seq] = t
        if roundTrip != nil { decide(seq, now: now) }
    }

    /// Client consensus: choose the Rendezvous Group from the answers.
    mutating func decide(_ seq: UInt32, now: Instant) {
        guard var t = puts[seq] else { return }
        var offers: [NodeID: RendezvousWindow] = [:]
        for (server, answer) in t.answers {
            switch answer {
            case .alreadyStored: t.alreadyStored.insert(server)
            case .proposedRendezvous(let w):
                // An offer whose window began before now (a decision at the collection deadline,
                // after a missing answer) is taken as starting now: the agreed window never
                // starts in the past, and a chosen member books it anew or declines it, so the
                // transfer never leaves outside the members' bookings.
                offers[server] = w.start >= now ? w : RendezvousWindow(start: now, duration: w.duration, rate: w.rate)
            case .notNow: break
            }
        }
        let known = t.stored.union(t.alreadyStored)
        var zones: [NodeID: String] = [:]
        for s in Set(t.answers.keys).union(known) { zones[s] = table.server(s)?.zone }
        let input = RendezvousInput(
            replicas: t.replicas, designated: table.designated(of: t.row), zones: zones,
            alreadyStored: known.sorted(), offers: cappedOffers(offers, length: UInt64(t.payload.count)),
            length: UInt64(t.payload.count), maxRate: proposedRate(row: t.row, consensus: t.consensus))
        puts[seq] = t
        let decision = withinEgress(configuration.policy.choose(input), put: seq, now: now)
        switch decision {
        case .transfer(let members, let window):
            announce(t, members: members, alreadyStored: known.sorted(), window: window)
        case .insufficient:
            announce(t, members: [], alreadyStored: known.sorted(), window: RendezvousWindow(start: now, duration: .zero, rate: 0))
        case .sufficient:
            break  // the Relayed ACK releases every offer
        }
        switch decision {
        case .sufficient:
            puts[seq] = t
            completePut(seq, now: now)
        case .transfer(let members, let window):
            let transfer = RendezvousTransfer(
                request: t.proposalID, deliveryGroup: t.deliveryGroup, members: members, rate: window.rate,
                contentHash: t.contentHash, content: t.payload)
            sendTransfer(transfer, of: t, members: members, window: window)
            t.transferred = true
            t.phase = .transferring(members: members)
            t.deadline = window.end + configuration.ackGrace
            puts[seq] = t
        case .insufficient:
            puts[seq] = t
            retryPut(seq, now: now)
        }
    }

    /// Client consensus: tells the servers that offered (they joined the Delivery Group)
    /// which of them were chosen and when the transfer starts, so that the chosen shrink
    /// their bookings to the transfer and the others release theirs and leave.
    private mutating func announce(_ t: PutTransaction, members: [NodeID], alreadyStored: [NodeID], window: RendezvousWindow) {
        let decision = ConsensusPutAccept(
            proposal: t.proposalID, negotiatingGroup: t.row, members: members, alreadyStored: alreadyStored, window: window)
        emit(.group(t.deliveryGroup), .notification, t.decisionID, .consensusPutAccept(decision))
    }

    mutating func onConsensusPutAccept(_ m: ConsensusPutAccept, now: Instant) {
        guard let seq = current(m.proposal), var t = puts[seq], case .negotiating = t.phase else { return }
        pacer.answered()
        t.everAnswered = true
        if let startedAt = t.round.startedAt { roundTrips.add(now - startedAt) }
        t.alreadyStored.formUnion(m.alreadyStored)
        if m.members.isEmpty {
            puts[seq] = t
            if t.stored.union(t.alreadyStored).count >= t.replicas { completePut(seq, now: now) } else { retryPut(seq, now: now) }
            return
        }
        puts[seq] = t
        let window = bookEgress(m.window, put: seq, now: now)
        let transfer = RendezvousTransfer(
            request: t.proposalID, deliveryGroup: t.deliveryGroup, members: m.members, rate: window.rate,
            contentHash: t.contentHash, content: t.payload)
        sendTransfer(transfer, of: t, members: m.members, window: window)
        t.transferred = true
        t.phase = .transferring(members: m.members)
        t.deadline = window.end + configuration.ackGrace
        puts[seq] = t
    }

    /// Sends the chunk to the Rendezvous Group: once by multicast, or (to measure the
    /// difference) as one unicast copy per member.
    private mutating func sendTransfer(
        _ transfer: RendezvousTransfer, of t: PutTransaction, members: [NodeID], window: RendezvousWindow
    ) {
        switch configuration.fanout {
        case .multicast:
            emit(.group(t.deliveryGroup), .notification, t.transferID, .rendezvousTransfer(transfer), pacing: window)
        case .unicastCopies:
            for member in members {
                emit(.node(member), .notification, t.transferID, .rendezvousTransfer(transfer), pacing: window)
            }
        }
    }

    mutating func onPayloadAck(_ m: PayloadAck, from server: NodeID, now: Instant) {
        notePayloadAnswer(m.proposal, from: server, code: nil)
        recordPayloadAnswer(m.proposal, from: server, stored: true, now: now)
    }

    mutating func onPayloadNak(_ m: PayloadNak, from server: NodeID, now: Instant) {
        notePayloadAnswer(m.proposal, from: server, code: m.code)
        recordPayloadAnswer(m.proposal, from: server, stored: false, now: now)
    }

    /// Client consensus: a chosen member's Payload ACK (`stored`) or NAK; the round ends when
    /// every member has answered.
    private mutating func recordPayloadAnswer(_ proposal: RequestID, from server: NodeID, stored ok: Bool, now: Instant) {
        guard let seq = current(proposal), var t = puts[seq], case .transferring(let members) = t.phase,
              t.consensus == .client || t.immediate, members.contains(server)
        else { return }
        if t.immediate {
            if t.heardNothing { pacer.answered() }
            t.everAnswered = true
        }
        if ok { t.acked.insert(server) } else { t.nakked.insert(server) }
        puts[seq] = t
        if t.immediate ? immediateRoundComplete(t, members) : t.acked.union(t.nakked).count == members.count {
            endRound(seq, now: now)
        }
    }

    mutating func onConsensusAck(_ m: ConsensusAck, now: Instant) {
        guard let seq = current(m.proposal), var t = puts[seq], case .transferring = t.phase else { return }
        t.acked.formUnion(m.storedOn)
        puts[seq] = t
        endRound(seq, now: now)
    }

    /// A transfer round ended (all answered, or the deadline passed).
    private mutating func endRound(_ seq: UInt32, now: Instant) {
        noteRoundEnded(seq)
        guard var t = puts[seq] else { return }
        standingInFlight -= min(standingInFlight, t.standingBytes)
        t.standingBytes = 0
        t.stored.formUnion(t.acked)
        puts[seq] = t
        let designated = Set(table.designated(of: t.row))
        let all = t.stored.union(t.alreadyStored)
        if all.count >= t.replicas && !all.isDisjoint(with: designated) {
            completePut(seq, now: now)
        } else {
            // (An immediate put sent no transfer: only a member that offered a rendezvous
            // instead of storing the chunk waits in the Delivery Group.)
            let offered = t.answers.values.contains { if case .proposedRendezvous = $0 { return true } else { return false } }
            if case .transferring = t.phase, !t.immediate || offered {
                emit(.group(t.deliveryGroup), .notification, t.abortID,
                     .transferAbort(TransferAbort(request: t.proposalID, deliveryGroup: t.deliveryGroup, reason: .superseded)))
            }
            retryPut(seq, now: now)
        }
    }

    /// Success: relay the ACKs to the Negotiating Group and report.
    private mutating func completePut(_ seq: UInt32, now: Instant) {
        guard let t = puts.removeValue(forKey: seq) else { return }
        let storedOn = t.stored.sorted()
        if !storedOn.isEmpty || !t.alreadyStored.isEmpty {
            let relayed = RelayedAck(
                proposal: t.proposalID, negotiatingGroup: t.row, contentHash: t.contentHash,
                storedOn: t.stored.union(t.alreadyStored).sorted())
            emit(.negotiatingGroup(t.row), .notification, t.relayedAckID, .relayedAck(relayed))
        }
        let receipt = PutReceipt(
            contentHash: t.contentHash, storedOn: storedOn, alreadyStored: t.alreadyStored.subtracting(t.stored).sorted(),
            transferred: t.transferred, attempts: Int(t.attempt))
        actions.append(.effect(.put(PutOutcome(token: t.token, result: .success(receipt)))))
    }

    /// Ends put `seq` (if it is still in progress) with `error`, giving back the standing
    /// reservation its transfer held.
    mutating func failPut(_ seq: UInt32, _ error: PutError) {
        guard let t = puts.removeValue(forKey: seq) else { return }
        standingInFlight -= min(standingInFlight, t.standingBytes)
        actions.append(.effect(.put(PutOutcome(token: t.token, result: .failure(error)))))
    }

    /// Schedules the next attempt, or fails when attempts are exhausted.
    private mutating func retryPut(_ seq: UInt32, now: Instant) {
        guard var t = puts[seq] else { return }
        let unreachable = !t.everAnswered && clusterSilent(since: t.startedAt, now: now)
        if Int(t.attempt) >= configuration.maxAttempts || unreachable {
            failPut(seq, t.everAnswered
                ? .insufficientReplicas(stored: t.stored.union(t.alreadyStored).count, wanted: t.replicas)
                : .noResponse(unanswered(t.row, attempts: Int(t.attempt), since: t.startedAt, now: now)))
            return
        }
        t.phase = .backingOff
        let wait = now + backoff(attempt: t.attempt)
        t.deadline = max(wait, t.suggestedRetry ?? wait)
        puts[seq] = t
    }

    mutating func putDeadline(_ seq: UInt32, now: Instant) {
        guard var t = puts[seq] else { return }
        switch t.phase {
        case .negotiating:
            if t.consensus == .client && !t.answers.isEmpty {
                decide(seq, now: now)
            } else {
                pacer.unanswered()
                retryPut(seq, now: now)
            }
        case .transferring:
            if t.immediate && t.heardNothing { pacer.unanswered() }
            endRound(seq, now: now)
        case .backingOff:
            propose(&t, now: now)
            puts[seq] = t
        case .paced:
            sendProposal(&t, now: now)
            puts[seq] = t
        }
    }
}
