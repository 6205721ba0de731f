import ReplicastWire

extension ClientCore {
    /// Starts a get of an unnamed chunk (by content hash) or of the newest version of a
    /// named chunk.
    public mutating func get(_ target: GetTarget, consensus: ConsensusMode? = nil, now: Instant) -> TransactionToken {
        startGet(target, consensus: consensus ?? configuration.consensus, probe: false, now: now)
    }

    /// Asks which servers hold `contentHash` (a get that accepts no delivery). The row is
    /// that of `rowKey` (a named chunk lives in its name's row), else of the hash itself.
    public mutating func locate(_ contentHash: HashID, rowKey: HashID? = nil, now: Instant) -> TransactionToken {
        startGet(.content(contentHash), consensus: .client, probe: true, rowKey: rowKey, now: now)
    }

    private mutating func startGet(
        _ target: GetTarget, consensus: ConsensusMode, probe: Bool, rowKey: HashID? = nil, now: Instant
    ) -> TransactionToken {
        let (token, seq) = allocate()
        var key: HashID
        switch target {
        case .content(let h): key = h
        case .named(_, let name, _): key = name
        }
        if let rowKey { key = rowKey }
        var t = GetTransaction(
            token: token, sequence: seq, owner: configuration.id, target: target, consensus: consensus,
            row: table.rowID(for: key), deliveryGroup: pool.group(client: configuration.id, sequence: seq),
            isProbe: probe, deadline: now)
        t.startedAt = now
        if !probe { actions.append(.join(t.deliveryGroup)) }
        request(&t, now: now)
        gets[seq] = t
        return token
    }

    private mutating func request(_ t: inout GetTransaction, now: Instant) {
        t.attempt += 1
        t.responses = [:]
        t.notFound = []
        t.unavailable = []
        t.early = nil
        let at = pacer.schedule(now: now)
        if at > now {
            t.phase = .paced
            t.deadline = at
            return
        }
        sendRequest(&t, now: now)
    }

    /// Sends the current attempt's Get Request.
    private mutating func sendRequest(_ t: inout GetTransaction, now: Instant) {
        t.phase = .requesting
        let window = RendezvousWindow(start: now, duration: .seconds(10), rate: configuration.allocation.reservedInbound)
        let request = GetRequest(
            negotiatingGroup: t.row, target: t.target, deliveryGroup: t.deliveryGroup,
            maxImmediate: t.isProbe ? 0 : configuration.maxImmediate, consensus: t.consensus,
            receptionWindows: [window])
        emit(.negotiatingGroup(t.row), .request, t.requestID, .getRequest(request))
        // In cluster consensus the servers choose among themselves and the delivery follows.
        let wait = collectWait(attempt: t.attempt)
        t.round = AnswerRound(startedAt: now)
        t.deadline = now + (t.consensus == .client ? wait : wait * 3 + configuration.ackGrace)
    }

    private func currentGet(_ request: RequestID) -> UInt32? {
        guard request.source == configuration.id, let t = gets[request.sequence], t.requestID == request else { return nil }
        return request.sequence
    }

    mutating func onGetResponse(_ m: GetResponse, now: Instant) {
        guard let seq = currentGet(m.request), var t = gets[seq] else { return }
        let roundTrip = t.consensus == .client ? t.round.record(m.server, of: expectedAnswerers(of: t.row), now: now) : nil
        if let roundTrip { roundTrips.add(roundTrip) }
        guard case .requesting = t.phase else {
            gets[seq] = t  // a late answer: it only teaches the wait
            return
        }
        if t.responses.isEmpty && t.notFound.isEmpty && t.unavailable.isEmpty { pacer.answered() }
        t.everAnswered = true
        t.responses[m.server] = m
        gets[seq] = t
        if t.consensus == .client && answeredByAll(t) { chooseResponder(seq, now: now) }
        // Cluster consensus, named get: the serving member's response names the version of
        // a delivery that came first.
        if t.consensus == .cluster, let early = t.early, early.server == m.server, early.hash == m.contentHash {
            deliver(seq, payload: early.payload, hash: early.hash, name: m.name, server: early.server,
                    volunteers: early.volunteers, immediate: false, now: now)
        }
    }

    mutating func onErrorGetResponse(_ m: ErrorGetResponse, from server: NodeID, now: Instant) {
        guard let seq = currentGet(m.request), var t = gets[seq] else { return }
        switch t.phase {
        case .requesting:
            break
        case .awaitingTransfer(let chosen, _) where chosen == server:
            // The accepted server could not read the chunk: ask again at once (after the
            // back-off) rather than wait out its window.
            if m.code == .corrupt { t.corruptDeliveries += 1 }
            gets[seq] = t
            retryGet(seq, now: now)
            return
        default:
            return
        }
        if t.responses.isEmpty && t.notFound.isEmpty && t.unavailable.isEmpty { pacer.answered() }
        t.everAnswered = true
        if t.consensus == .client, let roundTrip = t.round.record(server, of: expectedAnswerers(of: t.row), now: now) {
            roundTrips.add(roundTrip)
        }
        t.notFound.insert(server)
        gets[seq] = t
        if t.consensus == .cluster {
            if m.code == .notFound {
                // The leader reports that no member holds the chunk.
                failGet(seq, .notFound)
            } else {
                // The member the cluster chose could not deliver (its read failed): ask again,
                // and another holder serves.
                if m.code == .corrupt { t.corruptDeliveries += 1 }
                gets[seq] = t
                retryGet(seq, now: now)
            }
        } else if answeredByAll(t) {
            chooseResponder(seq, now: now)
        }
    }

    /// A holder cannot deliver the chunk before `availableAt` (client consensus: one member's
    /// answer; cluster consensus: the group's, when no member can deliver now). The client asks
    /// again no earlier than that, unless another member delivers.
    mutating func onContentNotImmediatelyAvailable(_ m: ContentNotImmediatelyAvailable, from server: NodeID, now: Instant) {
        guard let seq = currentGet(m.request), var t = gets[seq], case .requesting = t.phase else { return }
        if t.responses.isEmpty && t.notFound.isEmpty && t.unavailable.isEmpty { pacer.answered() }
        t.everAnswered = true
        t.unavailableUntil = min(t.unavailableUntil ?? m.availableAt, m.availableAt)
        if t.consensus == .cluster {
            gets[seq] = t
            retryGet(seq, now: now)
            return
        }
        if let roundTrip = t.round.record(server, of: table.members(of: t.row), now: now) { roundTrips.add(roundTrip) }
        t.unavailable.insert(server)
        gets[seq] = t
        if answeredByAll(t) { chooseResponder(seq, now: now) }
    }

    func answeredByAll(_ t: GetTransaction) -> Bool {
        Set(expectedAnswerers(of: t.row)).isSubset(of: Set(t.responses.keys).union(t.notFound).union(t.unavailable))
    }

    /// Client consensus: take immediate content, or choose the best responder and accept it.
    mutating func chooseResponder(_ seq: UInt32, now: Instant) {
        guard var t = gets[seq] else { return }
        if t.isProbe {
            finishProbe(seq)
            return
        }
        // Newest version first (named gets), then earliest offered time, then lowest id.
        let best = t.responses.values.sorted {
            let va = $0.name?.version ?? 0, vb = $1.name?.version ?? 0
            if va != vb { return va > vb }
            return ($0.responseTime, $0.server) < ($1.responseTime, $1.server)
        }.first
        guard let best else {
            if !t.notFound.isEmpty && t.unavailable.isEmpty && answeredByAll(t) {
                failGet(seq, .notFound)
            } else {
                retryGet(seq, now: now)
            }
            return
        }
        if best.contentLength == UInt64(best.immediate.count) {
            deliver(seq, payload: best.immediate, hash: best.contentHash, name: best.name, server: best.server,
                    volunteers: [], immediate: true, now: now)
            return
        }
        // The delivery is booked in this client's reserved inbound bandwidth, so that
        // concurrent gets do not arrive on top of each other.
        let window = ingress.earliestWindow(
            notBefore: max(now, best.responseTime), bytes: best.contentLength, maxRate: max(best.rate, 1))
        ingress.reserve(t.requestID, window, expiry: window.end + configuration.ackGrace)
        emit(.negotiatingGroup(t.row), .request, t.acceptID,
             .getAccept(GetAccept(request: t.requestID, negotiatingGroup: t.row, server: best.server, window: window)))
        t.phase = .awaitingTransfer(server: best.server, response: best)
        t.deadline = window.end + configuration.ackGrace
        gets[seq] = t
    }

    mutating func onRendezvousTransfer(_ m: RendezvousTransfer, from source: NodeID, now: Instant) {
        guard let seq = currentGet(m.request), var t = gets[seq], !t.isProbe else { return }
        let server: NodeID
        let name: ChunkName?
        switch t.phase {
        case .awaitingTransfer(let s, let response):
            server = s
            name = response.name
        case .requesting where t.consensus == .cluster:
            // The member the cluster chose sends the transfer; for a named get it told this
            // client the version in its Get Response (the transfer does not carry it).
            server = source
            name = t.responses[source].flatMap { $0.contentHash == m.contentHash ? $0.name : nil }
        default:
            return
        }
        let tokens = Int(m.trackingTokensLength)
        guard tokens <= m.content.count else { return }
        let chunk = m.content.slice(tokens..<m.content.count)
        let volunteers = m.members.filter { $0 != configuration.id && !$0.isClient }
        if case .named = t.target, name == nil {
            // The response naming the version has not come yet: keep the delivery until it does.
            guard t.early == nil else { return }
            t.early = GetTransaction.EarlyDelivery(payload: chunk, hash: m.contentHash, server: server, volunteers: volunteers)
            gets[seq] = t
            return
        }
        deliver(seq, payload: chunk, hash: m.contentHash, name: name, server: server,
                volunteers: volunteers, immediate: false, now: now)
    }

    /// Verifies a delivered chunk and completes the get, or retries on a bad copy.
    private mutating func deliver(
        _ seq: UInt32, payload: Payload, hash: HashID, name: ChunkName?, server: NodeID, volunteers: [NodeID],
        immediate: Bool, now: Instant
    ) {
        guard var t = gets[seq] else { return }
        let actual = ContentHash.of(payload)
        guard actual == hash, t.expectedHash == nil || t.expectedHash == actual else {
            t.corruptDeliveries += 1
            gets[seq] = t
            retryGet(seq, now: now)
            return
        }
        gets[seq] = nil
        ingress.release(t.requestID)
        actions.append(.leave(t.deliveryGroup))
        let receipt = GetReceipt(
            contentHash: actual, name: name, payload: payload, server: server, volunteers: volunteers.sorted(),
            immediate: immediate)
        actions.append(.effect(.get(GetOutcome(token: t.token, result: .success(receipt)))))
    }

    /// Ends locate probe `seq` with the holders heard so far.
    mutating func finishProbe(_ seq: UInt32) {
        guard let t = gets.removeValue(forKey: seq) else { return }
        let hash = t.expectedHash ?? .zero
        // A member that cannot deliver the chunk now (Content Not Immediately Available) holds it too.
        let holders = Set(t.responses.keys).union(t.unavailable).sorted()
        actions.append(.effect(.locate(t.token, LocateReport(contentHash: hash, holders: holders))))
    }

    /// Ends get `seq` (if it is still in progress) with `error`: its ingress booking is
    /// released and, unless it is a probe, its delivery group left.
    mutating func failGet(_ seq: UInt32, _ error: GetError) {
        guard let t = gets.removeValue(forKey: seq) else { return }
        ingress.release(t.requestID)
        if !t.isProbe { actions.append(.leave(t.deliveryGroup)) }
        actions.append(.effect(.get(GetOutcome(token: t.token, result: .failure(error)))))
    }

    private mutating func retryGet(_ seq: UInt32, now: Instant) {
        guard var t = gets[seq] else { return }
        let unreachable = !t.everAnswered && clusterSilent(since: t.startedAt, now: now)
        if Int(t.attempt) >= configuration.maxAttempts || unreachable {
            let error: GetError
            if t.corruptDeliveries > 0 { error = .corrupt }
            else if let until = t.unavailableUntil { error = .notAvailableUntil(until) }
            else if !t.notFound.isEmpty { error = .notFound }
            else { error = .noResponse(unanswered(t.row, attempts: Int(t.attempt), since: t.startedAt, now: now)) }
            failGet(seq, error)
            return
        }
        ingress.release(t.requestID)
        t.phase = .backingOff
        // Not before a holder said it can deliver (Content Not Immediately Available).
        t.deadline = max(now + backoff(attempt: t.attempt), t.unavailableUntil ?? now)
        gets[seq] = t
    }

    mutating func getDeadline(_ seq: UInt32, now: Instant) {
        guard var t = gets[seq] else { return }
        switch t.phase {
        case .requesting:
            if t.isProbe {
                chooseResponder(seq, now: now)
            } else if t.consensus == .client && (!t.responses.isEmpty || !t.notFound.isEmpty || !t.unavailable.isEmpty) {
                chooseResponder(seq, now: now)
            } else {
                if t.responses.isEmpty && t.notFound.isEmpty && t.unavailable.isEmpty { pacer.unanswered() }
                retryGet(seq, now: now)
            }
        case .awaitingTransfer:
            retryGet(seq, now: now)
        case .backingOff:
            request(&t, now: now)
            gets[seq] = t
        case .paced:
            sendRequest(&t, now: now)
            gets[seq] = t
        }
    }
}
