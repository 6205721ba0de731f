import ReplicastWire

/// A server's state for one get it was asked about.
struct ServerGet: Sendable {
    var request: GetRequest?
    var client: NodeID
    /// What this server would deliver, when it holds the chunk.
    var hash: HashID?
    var name: ChunkName?
    var length: UInt64 = 0
    /// Cluster consensus: every member's offer, this server's included.
    var offers: [NodeID: GetResponse] = [:]
    var notFound: Set<NodeID> = []
    /// Servers that asked to join the delivery (Additional Target Requests).
    var volunteers: Set<NodeID> = []
    var decided = false
    var volunteering = false
    var storing = false
    var deadline: Instant
    /// Cluster consensus: the members' answers, timed from the request's arrival for the
    /// answer-round estimate.
    var round = AnswerRound()

    var consensus: ConsensusMode { request?.consensus ?? .client }
    var answered: Set<NodeID> { Set(offers.keys).union(notFound).union(volunteers) }
}

extension ServerCore {
    mutating func onGetRequest(_ m: GetRequest, id: RequestID, now: Instant) {
        guard isMember(m.negotiatingGroup) else { return }
        cache.begin(id, now: now)
        var g = gets[id] ?? ServerGet(client: id.source, deadline: now)
        g.request = m
        g.client = id.source
        g.round.startedAt = now
        _ = g.round.record(me, of: table.members(of: m.negotiatingGroup), now: now)  // this member answers below
        g.deadline = now + configuration.grace

        let found: (ChunkName?, HashID)?
        switch m.target {
        case .content(let h): found = catalog.contains(h) ? (nil, h) : nil
        case .named(let bucket, let name, let versions): found = catalog.newest(bucket: bucket, name: name, in: versions)
        }
        let toClient = m.consensus == .client
        let replyTarget: Target = toClient ? .node(id.source) : .negotiatingGroup(m.negotiatingGroup)

        guard let (name, hash) = found else {
            if configuration.volunteer, case .content(let h) = m.target, freeBytes > configuration.reserveBytes {
                // Volunteer: join the delivery and keep a copy (patent claims 7-9).
                g.volunteering = true
                g.hash = h
                join(m.deliveryGroup)
                send(.negotiatingGroup(m.negotiatingGroup), .notification, .additionalTargetRequest(
                    AdditionalTargetRequest(request: id, negotiatingGroup: m.negotiatingGroup,
                                            deliveryGroup: m.deliveryGroup, contentHash: h)))
                g.volunteers.insert(me)
            } else {
                g.notFound.insert(me)
            }
            if toClient || !g.volunteering {
                respond(replyTarget, to: id, .errorGetResponse(ErrorGetResponse(
                    request: id, negotiatingGroup: m.negotiatingGroup, deliveryGroup: m.deliveryGroup, code: .notFound)), now: now)
            }
            gets[id] = g
            if !toClient {
                g.deadline = now + collectWait
                gets[id] = g
                if isAnsweredByAll(g) { decideGet(id, now: now) }
            } else if !g.volunteering {
                gets[id] = nil
            }
            return
        }

        let length = catalog.length(of: hash) ?? 0
        g.hash = hash
        g.name = name
        g.length = length
        let requestedRate = m.receptionWindows.first?.rate ?? configuration.reservedOutboundRate
        let response = GetResponse(
            request: id, negotiatingGroup: m.negotiatingGroup, deliveryGroup: m.deliveryGroup,
            responseTime: max(now + configuration.leadTime, egressBusyUntil), server: me, contentHash: hash, name: name,
            rate: max(1, min(configuration.reservedOutboundRate, requestedRate)), contentLength: length)
        if toClient {
            gets[id] = g
            if length <= UInt64(m.maxImmediate) {
                load(id, hash, .immediate)
            } else {
                respond(.node(id.source), to: id, .getResponse(response), now: now)
            }
        } else {
            respond(.negotiatingGroup(m.negotiatingGroup), to: id, .getResponse(response), now: now)
            g.offers[me] = response
            g.deadline = now + collectWait
            gets[id] = g
            if isAnsweredByAll(g) { decideGet(id, now: now) }
        }
    }

    private func isAnsweredByAll(_ g: ServerGet) -> Bool {
        guard let row = g.request?.negotiatingGroup else { return false }
        return Set(table.members(of: row)).isSubset(of: g.answered)
    }

    private mutating func load(_ request: RequestID, _ hash: HashID, _ purpose: LoadPurpose) {
        let token = newToken()
        pending[token] = .load(request, purpose)
        actions.append(.load(LoadRequest(token: token, contentHash: hash, length: catalog.length(of: hash) ?? 0)))
    }

    mutating func onGetResponse(_ m: GetResponse, now: Instant) {
        guard m.server != me, isMember(m.negotiatingGroup) else { return }
        var g = gets[m.request] ?? ServerGet(client: m.request.source, deadline: now + configuration.grace)
        g.offers[m.server] = m
        if let round = g.round.record(m.server, of: table.members(of: m.negotiatingGroup), now: now) { answerRounds.add(round) }
        gets[m.request] = g
        if g.consensus == .cluster && !g.decided && isAnsweredByAll(g) {
            decideGet(m.request, now: now)
        }
    }

    mutating func onErrorGetResponse(_ m: ErrorGetResponse, from server: NodeID, now: Instant) {
        guard server != me, isMember(m.negotiatingGroup) else { return }
        var g = gets[m.request] ?? ServerGet(client: m.request.source, deadline: now + configuration.grace)
        g.notFound.insert(server)
        if let round = g.round.record(server, of: table.members(of: m.negotiatingGroup), now: now) { answerRounds.add(round) }
        gets[m.request] = g
        if g.consensus == .cluster && !g.decided && isAnsweredByAll(g) {
            decideGet(m.request, now: now)
        }
    }

    mutating func onAdditionalTargetRequest(_ m: AdditionalTargetRequest, from server: NodeID) {
        guard server != me, isMember(m.negotiatingGroup) else { return }
        var g = gets[m.request] ?? ServerGet(client: m.request.source, deadline: Instant.zero + configuration.grace)
        g.volunteers.insert(server)
        gets[m.request] = g
    }

    /// Cluster consensus: the best offer (newest version, earliest time, lowest id) serves.
    mutating func decideGet(_ key: RequestID, now: Instant) {
        guard var g = gets[key], let request = g.request, !g.decided else { return }
        g.decided = true
        gets[key] = g
        let best = g.offers.values.sorted {
            let va = $0.name?.version ?? 0, vb = $1.name?.version ?? 0
            if va != vb { return va > vb }
            return ($0.responseTime, $0.server) < ($1.responseTime, $1.server)
        }.first
        if let best {
            if best.server == me, let hash = g.hash {
                let seconds = Double(best.contentLength) / Double(max(best.rate, 1))
                load(key, hash, .transfer(RendezvousWindow(
                    start: best.responseTime, duration: .nanoseconds(Int64(seconds * 1e9) + 1), rate: best.rate)))
                return
            }
        } else if isAnsweredByAll(g) {
            // Every member said it does not hold the chunk: the first designated one tells
            // the client. (With answers missing, nobody speaks; the client retries.)
            if table.designated(of: request.negotiatingGroup).first(where: g.answered.contains) == me {
                send(.node(g.client), .response, .errorGetResponse(ErrorGetResponse(
                    request: key, negotiatingGroup: request.negotiatingGroup, deliveryGroup: request.deliveryGroup,
                    code: .notFound)))
            }
        }
        if !g.volunteering { gets[key] = nil }
    }

    mutating func onGetAccept(_ m: GetAccept, id: RequestID, now: Instant) {
        // The accept's request field is the get request it accepts.
        guard let g = gets[m.request] else { return }
        if m.server == me, let hash = g.hash {
            // Remembered, so that a retransmitted accept does not send the chunk again.
            cache.begin(id, now: now)
            load(m.request, hash, .transfer(m.window))
        } else if !g.volunteering {
            gets[m.request] = nil
        }
    }

    /// The chunk for a get was read: answer with immediate content or send the transfer.
    mutating func getLoaded(_ key: RequestID, purpose: LoadPurpose, result: Result<Payload, StoreFailure>, now: Instant) {
        guard let g = gets[key], let request = g.request, let hash = g.hash else { return }
        switch result {
        case .success(let payload):
            switch purpose {
            case .immediate:
                respond(.node(g.client), to: key, .getResponse(GetResponse(
                    request: key, negotiatingGroup: request.negotiatingGroup, deliveryGroup: request.deliveryGroup,
                    responseTime: now, server: me, contentHash: hash, name: g.name, rate: configuration.reservedOutboundRate,
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
            if f == .corrupt { catalog.remove(hash) }
            respond(.node(g.client), to: key, .errorGetResponse(ErrorGetResponse(
                request: key, negotiatingGroup: request.negotiatingGroup, deliveryGroup: request.deliveryGroup,
                code: f == .corrupt ? .corrupt : .notFound)), now: now)
        }
        if !g.volunteering { gets[key] = nil }
    }

    /// A volunteer received the get's delivery: keep a non-designated copy.
    mutating func volunteerReceived(_ m: RendezvousTransfer, now: Instant) {
        guard var g = gets[m.request], !g.storing else { return }
        guard m.members.contains(me), Int(m.trackingTokensLength) <= m.content.count else {
            stats.leftNotListed += 1
            releaseGet(m.request)
            return
        }
        let chunk = m.content.slice(Int(m.trackingTokensLength)..<m.content.count)
        let token = newToken()
        pending[token] = .storeVolunteer(m.request, bytes: UInt64(chunk.count))
        pendingWriteBytes += UInt64(chunk.count)
        g.storing = true
        g.hash = m.contentHash
        g.deadline = now + configuration.grace
        gets[m.request] = g
        actions.append(.store(StoreRequest(token: token, contentHash: m.contentHash, name: nil, payload: chunk, designated: false)))
    }

    mutating func volunteerStored(_ key: RequestID, bytes: UInt64, result: Result<Void, StoreFailure>) {
        guard let g = gets[key] else { return }
        if case .success = result, let hash = g.hash {
            catalog.add(hash, length: bytes, designated: false)
            stats.volunteerCopies += 1
        }
        gets[key]?.storing = false
        releaseGet(key)
    }

    /// Leaves the delivery group if volunteering, and forgets the get.
    mutating func releaseGet(_ key: RequestID) {
        guard let g = gets[key] else { return }
        if g.volunteering, let group = g.request?.deliveryGroup { leave(group) }
        gets[key] = nil
    }

    mutating func getDeadline(_ key: RequestID, now: Instant) {
        guard let g = gets[key] else { return }
        if g.storing {
            let later = now + configuration.grace
            gets[key]?.deadline = later
        } else if g.consensus == .cluster && !g.decided && g.request != nil {
            decideGet(key, now: now)
            if gets[key] != nil {
                let later = now + configuration.grace
                gets[key]?.deadline = later
            }
        } else {
            releaseGet(key)
        }
    }
}
