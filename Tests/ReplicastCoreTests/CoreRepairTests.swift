import ReplicastCore
import ReplicastWire
import Testing

/// Rules of the core checked on one core at a time: generations (docs/PROTOCOL.md § 7.7),
/// immediate content of a Put Proposal (§ 12.1), the unsolicited allocation of a server's
/// messages (§ 11.6), and the state an Additional Target Request creates.
@Suite struct CoreRepairTests {
    let client = OneRow.client
    let group = GroupAddress(ipv4: 239, 78, 0, 9, port: 7077)
    let t0 = Instant(nanoseconds: 1_000_000_000)

    func sends(_ actions: [ServerAction]) -> [Outbound] {
        actions.compactMap { if case .send(let o) = $0 { return o } else { return nil } }
    }

    func server(_ id: NodeID = OneRow.servers[0], generation: UInt32 = 0, catalog: ChunkCatalog = ChunkCatalog()) throws -> ServerCore {
        let table = try OneRow.table()
        let t = try AllocationTable(servers: table.servers, configuration: table.configuration, generation: generation)
        var s = ServerCore(configuration: ServerConfiguration(id: id), table: t, catalog: catalog, freeBytes: 1 << 30)
        _ = s.pollActions()
        return s
    }

    func getRequest(_ hash: HashID) -> Message {
        .getRequest(GetRequest(
            negotiatingGroup: OneRow.row, target: .content(hash), deliveryGroup: group, maxImmediate: 0, consensus: .client,
            receptionWindows: [RendezvousWindow(start: t0, duration: .seconds(1), rate: 1_000_000_000)]))
    }

    /// The Stale Generation notices among `out`: to whom, with which generation.
    func staleNotices(_ out: [Outbound]) -> [(Target, UInt32)] {
        out.compactMap { o in
            if case .staleGeneration(let m) = o.message { return (o.target, m.currentGeneration) } else { return nil }
        }
    }

    // MARK: - Generations (§ 7.7)

    @Test("a request of a newer generation is answered Stale Generation with this server's own (older) generation, and counted")
    func newerGenerationAnswered() throws {
        var s = try server(generation: 5)
        let hash = ContentHash.of(Payload(copying: [1]))
        s.handle(Inbound(kind: .request, id: RequestID(source: client, sequence: 1), generation: 6, message: getRequest(hash)), now: t0)
        let notices = staleNotices(sends(s.pollActions()))
        #expect(notices.count == 1)
        #expect(notices.first?.0 == .node(client) && notices.first?.1 == 5)
        #expect(s.stats.staleMessages == 0)
        #expect(s.stats.newerGenerationSeen == 1)  // after
        #expect(s.newestPeerGeneration == 6)  // after
    }

    @Test("generations compare as serial numbers: across the wrap, 0xFFFFFFFF is older than 0 and 0 is newer than 0xFFFFFFFF")
    func generationsWrap() throws {
        let hash = ContentHash.of(Payload(copying: [1]))
        // This server holds generation 0; the peer's 0xFFFFFFFF is the one before it: stale.
        var new = try server(generation: 0)
        new.handle(Inbound(kind: .request, id: RequestID(source: client, sequence: 1), generation: .max, message: getRequest(hash)), now: t0)
        #expect(staleNotices(sends(new.pollActions())).map(\.1) == [0])
        #expect(new.stats.staleMessages == 1)
        #expect(new.stats.newerGenerationSeen == 0)  // after

        // This server holds 0xFFFFFFFF; the peer's 0 is newer: the server is the one behind.
        var old = try server(generation: .max)
        old.handle(Inbound(kind: .request, id: RequestID(source: client, sequence: 1), generation: 0, message: getRequest(hash)), now: t0)
        #expect(staleNotices(sends(old.pollActions())).map(\.1) == [.max])
        #expect(old.stats.staleMessages == 0)
        #expect(old.stats.newerGenerationSeen == 1)  // after
    }

    @Test("a client told Stale Generation by a server that is behind keeps its transaction; one told by a newer server ends it")
    func clientJudgesStaleGeneration() throws {
        let table = try AllocationTable(
            servers: try OneRow.table().servers, configuration: try OneRow.table().configuration, generation: 5)
        var c = ClientCore(configuration: ClientConfiguration(id: client), table: table)
        let chunk = Payload(copying: [UInt8](repeating: 1, count: 1000))
        _ = c.put(chunk, contentHash: ContentHash.of(chunk), now: t0)
        let proposal = try #require(c.pollActions().compactMap { a -> Outbound? in if case .send(let o) = a { return o } else { return nil } }.first)

        // s1 still holds generation 4: it is behind, the put goes on.
        c.handle(Inbound(kind: .notification, id: RequestID(source: OneRow.servers[0], sequence: 1), generation: 4,
                         message: .staleGeneration(StaleGeneration(request: proposal.id, currentGeneration: 4))), now: t0)
        #expect(c.pollActions().isEmpty)
        #expect(c.inFlight == 1)
        #expect(c.serversBehind == [OneRow.servers[0]: 4])  // after

        // s2 holds generation 6: the client's table is stale.
        c.handle(Inbound(kind: .notification, id: RequestID(source: OneRow.servers[1], sequence: 1), generation: 6,
                         message: .staleGeneration(StaleGeneration(request: proposal.id, currentGeneration: 6))), now: t0)
        let outcomes = c.pollActions().compactMap { a -> ClientOutcome? in if case .effect(let o) = a { return o } else { return nil } }
        guard case .put(let o)? = outcomes.first else { Issue.record("no outcome"); return }
        #expect(o.result == .failure(.staleTable(current: 6)))
    }

    // MARK: - Immediate content of a Put Proposal (§ 12.1)

    @Test("a Put Proposal carrying the whole chunk is stored at once and ACKed, without a rendezvous offer")
    func immediatePutStoredDirectly() throws {
        var s = try server()
        let chunk = Payload(copying: [UInt8](repeating: 9, count: 300))
        let id = RequestID(source: client, sequence: 3, subsequence: 5)
        s.handle(Inbound(kind: .request, id: id, generation: 0, message: .putProposal(PutProposal(
            negotiatingGroup: OneRow.row, contentHash: ContentHash.of(chunk), name: nil, chunkLength: 300,
            deliveryGroup: group, maxDeliveryRate: 1_000_000_000, replicas: 3, consensus: .client, immediate: chunk))), now: t0)
        let actions = s.pollActions()
        #expect(sends(actions).isEmpty)  // no Put Accept
        #expect(!actions.contains { if case .join = $0 { return true } else { return false } })
        let store = try #require(actions.compactMap { a -> StoreRequest? in if case .effect(.store(let r)) = a { return r } else { return nil } }.first)
        #expect(store.payload == chunk && store.contentHash == ContentHash.of(chunk))
        #expect(s.calendar.reservations.isEmpty)

        s.storeCompleted(token: store.token, result: .success(()), now: t0 + .microseconds(50))
        let acks = sends(s.pollActions())
        #expect(acks.count == 1)
        #expect(acks.first?.target == .node(client))
        guard case .payloadAck(let ack)? = acks.first?.message else { Issue.record("expected a Payload ACK"); return }
        #expect(ack.proposal == id)
        #expect(s.catalog.contains(ContentHash.of(chunk)))
        #expect(s.openTransactions == 0)
    }

    // MARK: - Additional Target Request

    @Test("an Additional Target Request that comes before the Get Request keeps its state for the grace time from now")
    func additionalTargetRequestDeadline() throws {
        var s = try server()
        let now = Instant(nanoseconds: 100_000_000_000)
        let hash = ContentHash.of(Payload(copying: [1]))
        s.handle(Inbound(kind: .notification, id: RequestID(source: OneRow.servers[2], sequence: 1), generation: 0,
                         message: .additionalTargetRequest(AdditionalTargetRequest(
                            request: RequestID(source: client, sequence: 4, subsequence: 2), negotiatingGroup: OneRow.row,
                            deliveryGroup: group, contentHash: hash))), now: now)
        #expect(s.openTransactions == 1)
        #expect(s.nextDeadline == now + s.configuration.grace)
    }
}
