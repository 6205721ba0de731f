import ReplicastWire

extension ServerCore {
    /// Runs `body` on get `key` where it is stored (nil when there is none), so that a change
    /// cannot be lost to a copy that is not written back.
    @discardableResult
    mutating func withGet<R>(_ key: RequestID, _ body: (inout ServerGet) -> R) -> R? {
        guard gets[key] != nil else { return nil }
        return body(&gets[key]!)
    }

    /// Runs `body` on get `key` where it is stored, first storing `make()` when there is none.
    @discardableResult
    mutating func withGet<R>(
        _ key: RequestID, creating make: @autoclosure () -> ServerGet, _ body: (inout ServerGet) -> R
    ) -> R {
        body(&gets[key, default: make()])
    }

    mutating func onGetRequest(_ m: GetRequest, id: RequestID, now: Instant) {
        guard isMember(m.negotiatingGroup) else { return }
        cache.begin(id, now: now)
        let me = self.me, members = table.members(of: m.negotiatingGroup), deadline = now + configuration.grace
        withGet(id, creating: ServerGet(client: id.source, deadline: now)) { g in
            g.request = m
            g.round.startedAt = now
            _ = g.round.record(me, of: members, now: now)  // this member answers below
            g.deadline = deadline
        }

        let found: (ChunkName?, HashID)?
        switch m.target {
        case .content(let h): found = catalog.contains(h) ? (nil, h) : nil
        case .named(let bucket, let name, let versions): found = catalog.newest(bucket: bucket, name: name, in: versions)
        }
        let toClient = m.consensus == .client
        let replyTarget: Target = toClient ? .node(id.source) : .negotiatingGroup(m.negotiatingGroup)

        guard let (name, hash) = found else {
            let own: ServerGet.OwnAnswer
            if configuration.volunteer, case .content(let h) = m.target, freeBytes > configuration.reserveBytes {
                // Volunteer: join the delivery and keep a copy (patent claims 7-9).
                join(m.deliveryGroup)
                send(.negotiatingGroup(m.negotiatingGroup), .notification, .additionalTargetRequest(
                    AdditionalTargetRequest(request: id, negotiatingGroup: m.negotiatingGroup,
                                            deliveryGroup: m.deliveryGroup, contentHash: h)))
                own = .volunteer(h)
            } else {
                own = .bystander
            }
            if toClient || !own.isVolunteer {
                respond(replyTarget, to: id, .errorGetResponse(ErrorGetResponse(
                    request: id, negotiatingGroup: m.negotiatingGroup, deliveryGroup: m.deliveryGroup, code: .notFound)), now: now)
            }
            if !toClient {
                let collectDeadline = now + collectWait
                withGet(id) { g in
                    g.answer(own, offer: nil, me: me)
                    g.deadline = collectDeadline
                }
                decideIfAnsweredByAll(id, now: now)
            } else if case .volunteer(let h) = own {
                withGet(id) { g in
                    g.volunteers.insert(me)
                    g.phase = .volunteering(h)
                }
            } else {
                gets[id] = nil
            }
            return
        }

        if let until = unreadable[hash] {
            if until > now {
                // Held, but its last read failed: the client (or the group) is told when to
                // ask again rather than offered a delivery that would fail.
                let notNow = Message.contentNotImmediatelyAvailable(ContentNotImmediatelyAvailable(
                    request: id, negotiatingGroup: m.negotiatingGroup, availableAt: until))
                respond(replyTarget, to: id, notNow, now: now)
                if toClient {
                    gets[id] = nil
                } else {
                    let collectDeadline = now + collectWait
                    withGet(id) { g in
                        g.answer(.unavailable(until), offer: nil, me: me)
                        g.deadline = collectDeadline
                    }
                    decideIfAnsweredByAll(id, now: now)
                }
                return
            }
            unreadable[hash] = nil
        }

        let length = catalog.length(of: hash) ?? 0
        let chunk = ServerGet.HeldChunk(hash: hash, name: name)
        let requestedRate = m.receptionWindows.first?.rate ?? configuration.reservedOutboundRate
        let response = GetResponse(
            request: id, negotiatingGroup: m.negotiatingGroup, deliveryGroup: m.deliveryGroup,
            responseTime: max(now + configuration.leadTime, egressBusyUntil), server: me, contentHash: hash, name: name,
            rate: max(1, min(configuration.reservedOutboundRate, requestedRate)), contentLength: length)
        if toClient {
            if length <= UInt64(m.maxImmediate) {
                withGet(id) { $0.phase = .serving(chunk) }
                load(id, hash, .immediate)
            } else {
                withGet(id) { $0.phase = .offered(chunk) }
                respond(.node(id.source), to: id, .getResponse(response), now: now)
            }
        } else {
            respond(.negotiatingGroup(m.negotiatingGroup), to: id, .getResponse(response), now: now)
            let collectDeadline = now + collectWait
            withGet(id) { g in
                g.answer(.holder(chunk), offer: response, me: me)
                g.deadline = collectDeadline
            }
            decideIfAnsweredByAll(id, now: now)
        }
    }

    private func isAnsweredByAll(_ g: ServerGet) -> Bool {
        guard let row = g.request?.negotiatingGroup, let answered = g.answered else { return false }
        return Set(table.members(of: row)).isSubset(of: answered)
    }

    /// Cluster consensus: decides the get once every member has answered.
    private mutating func decideIfAnsweredByAll(_ key: RequestID, now: Instant) {
        if let g = gets[key], g.consensus == .cluster, isAnsweredByAll(g) { decideGet(key, now: now) }
    }

    private mutating func load(_ request: RequestID, _ hash: HashID, _ purpose: LoadPurpose) {
        let token = newLoadToken()
        pendingLoads[token] = PendingLoad(request: request, purpose: purpose)
        actions.append(.effect(.load(LoadRequest(token: token, contentHash: hash, length: catalog.length(of: hash) ?? 0))))
    }

    /// Cluster consensus: a peer's offer (it may come before the request).
    mutating func onGetResponse(_ m: GetResponse, now: Instant) {
        peerAnswered(m.request, row: m.negotiatingGroup, from: m.server, now: now) { g in
            g.collect { $0.offers[m.server] = m }
        }
    }

    /// Cluster consensus: a peer does not hold the chunk (it may say so before the request comes).
    mutating func onErrorGetResponse(_ m: ErrorGetResponse, from server: NodeID, now: Instant) {
        peerAnswered(m.request, row: m.negotiatingGroup, from: server, now: now) { g in
            g.collect { $0.notFound.insert(server) }
        }
    }

    /// Cluster consensus: a peer holds the chunk but cannot deliver it now.
    mutating func onContentNotImmediatelyAvailable(_ m: ContentNotImmediatelyAvailable, from server: NodeID, now: Instant) {
        peerAnswered(m.request, row: m.negotiatingGroup, from: server, now: now) { g in
            g.collect { $0.unavailable[server] = m.availableAt }
        }
    }

    /// A peer volunteers to keep a copy: it joins the delivery, and (cluster consensus) its
    /// request is its answer of the round (it may come before the Get Request).
    mutating func onAdditionalTargetRequest(_ m: AdditionalTargetRequest, from server: NodeID, now: Instant) {
        peerAnswered(m.request, row: m.negotiatingGroup, from: server, now: now) { g in
            g.volunteers.insert(server)
        }
    }

    /// Records a peer's answer of get `request`'s round (`note` files it in the get, created
    /// if the request has not come yet), times the round, and decides once every member of
    /// `row` has answered. Answers from this server itself or from outside the row are ignored.
    private mutating func peerAnswered(
        _ request: RequestID, row: RowID, from server: NodeID, now: Instant, note: (inout ServerGet) -> Void
    ) {
        guard server != me, isMember(row) else { return }
        let members = table.members(of: row)
        let fresh = ServerGet(client: request.source, deadline: now + configuration.grace)
        let round = withGet(request, creating: fresh) { g in
            note(&g)
            return g.round.record(server, of: members, now: now)
        }
        if let round { answerRounds.add(round) }
        decideIfAnsweredByAll(request, now: now)
    }

    /// Cluster consensus: the best offer (newest version, earliest time, lowest id) serves.
    mutating func decideGet(_ key: RequestID, now: Instant) {
        guard let g = gets[key], let request = g.request, case .collecting(let answers) = g.phase else { return }
        let best = answers.offers.values.sorted {
            let va = $0.name?.version ?? 0, vb = $1.name?.version ?? 0
            if va != vb { return va > vb }
            return ($0.responseTime, $0.server) < ($1.responseTime, $1.server)
        }.first
        if let best {
            if best.server == me, let chunk = g.heldChunk {
                // The transfer does not say which version it carries: a named get's client
                // learns it from this member's offer.
                if case .named = request.target {
                    respond(.node(g.client), to: key, .getResponse(best), now: now)
                }
                let seconds = Double(best.contentLength) / Double(max(best.rate, 1))
                withGet(key) { $0.phase = .serving(chunk) }
                load(key, chunk.hash, .transfer(RendezvousWindow(
                    start: best.responseTime, duration: .nanoseconds(Int64(seconds * 1e9) + 1), rate: best.rate)))
                return
            }
        } else if isAnsweredByAll(g), let answered = g.answered {
            // No member can deliver: the first designated one tells the client, when a holder
            // can (the earliest), or that no member holds the chunk. (With answers missing,
            // nobody speaks; the client retries.)
            if table.designated(of: request.negotiatingGroup).first(where: answered.contains) == me {
                if let availableAt = answers.unavailable.values.min() {
                    send(.node(g.client), .response, .contentNotImmediatelyAvailable(ContentNotImmediatelyAvailable(
                        request: key, negotiatingGroup: request.negotiatingGroup, availableAt: availableAt)))
                } else {
                    send(.node(g.client), .response, .errorGetResponse(ErrorGetResponse(
                        request: key, negotiatingGroup: request.negotiatingGroup, deliveryGroup: request.deliveryGroup,
                        code: .notFound)))
                }
            }
        }
        if case .volunteer(let hash)? = answers.own {
            // Awaits the transfer, which the serving member sends once it has read the chunk.
            let deadline = now + configuration.grace
            withGet(key) { g in
                g.phase = .volunteering(hash)
                g.deadline = max(g.deadline, deadline)
            }
        } else {
            gets[key] = nil
        }
    }

    mutating func onGetAccept(_ m: GetAccept, id: RequestID, now: Instant) {
        // The accept's request field is the get request it accepts.
        guard let g = gets[m.request] else { return }
        if m.server == me, let chunk = g.heldChunk {
            // Remembered, so that a retransmitted accept does not send the chunk again.
            cache.begin(id, now: now)
            withGet(m.request) { $0.phase = .serving(chunk) }
            load(m.request, chunk.hash, .transfer(deliveryWindow(m.window, request: g.request)))
        } else if !g.isVolunteer {
            gets[m.request] = nil
        }
    }

    /// The chunk for a get was read: answer with immediate content or send the transfer.
    mutating func getLoaded(_ key: RequestID, purpose: LoadPurpose, result: Result<Payload, StoreFailure>, now: Instant) {
        guard let g = gets[key], let request = g.request, let chunk = g.heldChunk else { return }
        let hash = chunk.hash
        switch result {
        case .success(let payload):
            unreadable[hash] = nil
            switch purpose {
            case .immediate:
                respond(.node(g.client), to: key, .getResponse(GetResponse(
                    request: key, negotiatingGroup: request.negotiatingGroup, deliveryGroup: request.deliveryGroup,
                    responseTime: now, server: me, contentHash: hash, name: chunk.name, rate: configuration.reservedOutboundRate,
                    contentLength: UInt64(payload.count), immediate: payload)), now: now)
            case .transfer(let window):
                let start = max(window.start, now)
                let duration = Duration.nanoseconds(Int64(Double(payload.count) / Double(max(window.rate, 1)) * 1e9) + 1)
                let pacing = RendezvousWindow(start: start, duration: duration, rate: window.rate)
                egressBusyUntil = max(egressBusyUntil, pacing.end)
                let members = [g.client] + g.volunteers.sorted()
                send(.group(request.deliveryGroup), .notification, .rendezvousTransfer(RendezvousTransfer(
                    request: key, deliveryGroup: request.deliveryGroup, members: members, rate: window.rate,
                    contentHash: hash, content: payload)), pacing: pacing)
                stats.transfersServed += 1
            }
        case .failure(let f):
            // The client is told this server cannot deliver (never "not found", which in
            // cluster consensus is the group's answer that no member holds the chunk), and asks
            // again. A copy the store found corrupt, or does not have, is forgotten.
            // A copy that could not be read for another reason (an I/O error) is not offered
            // for a while: requests are answered Content Not Immediately Available.
            if f == .corrupt || f == .notFound { catalog.remove(hash) } else { unreadable[hash] = now + configuration.grace }
            respond(.node(g.client), to: key, .errorGetResponse(ErrorGetResponse(
                request: key, negotiatingGroup: request.negotiatingGroup, deliveryGroup: request.deliveryGroup,
                code: f == .corrupt ? .corrupt : .unavailable)), now: now)
        }
        gets[key] = nil  // a holder never joined the delivery: nothing to leave
    }

    /// A volunteer received the get's delivery: keep a non-designated copy.
    mutating func volunteerReceived(_ m: RendezvousTransfer, now: Instant) {
        guard gets[m.request]?.isStoring == false else { return }
        guard m.members.contains(me), Int(m.trackingTokensLength) <= m.content.count else {
            stats.leftNotListed += 1
            releaseGet(m.request)
            return
        }
        let chunk = m.content.slice(Int(m.trackingTokensLength)..<m.content.count)
        let token = newStoreToken()
        pendingStores[token] = .volunteer(m.request, bytes: UInt64(chunk.count))
        pendingWriteBytes += UInt64(chunk.count)
        let deadline = now + configuration.grace
        withGet(m.request) { g in
            g.phase = .storingCopy(m.contentHash)
            g.deadline = deadline
        }
        actions.append(.effect(.store(StoreRequest(token: token, contentHash: m.contentHash, name: nil, payload: chunk, designated: false))))
    }

    mutating func volunteerStored(_ key: RequestID, bytes: UInt64, result: Result<Void, StoreFailure>) {
        guard let g = gets[key] else { return }
        if case .success = result, let hash = g.hash {
            catalog.add(hash, length: bytes, designated: false)
            stats.volunteerCopies += 1
        }
        releaseGet(key)
    }

    /// Leaves the delivery group if volunteering, and forgets the get.
    mutating func releaseGet(_ key: RequestID) {
        guard let g = gets.removeValue(forKey: key) else { return }
        if g.isVolunteer, let group = g.request?.deliveryGroup { leave(group) }
    }

    mutating func getDeadline(_ key: RequestID, now: Instant) {
        guard let g = gets[key] else { return }
        switch g.phase {
        case .storingCopy:
            let later = now + configuration.grace
            withGet(key) { $0.deadline = later }
        case .collecting where g.consensus == .cluster:
            decideGet(key, now: now)
            let later = now + configuration.grace
            withGet(key) { $0.deadline = later }
        default:
            releaseGet(key)
        }
    }
}
