import ReplicastCore
import ReplicastWire
import Testing

/// A participant numbers its messages from its configuration's first sequence, so that a
/// restarted one does not reuse the ids its previous incarnation's peers still remember.
@Suite struct IncarnationTests {
    let t0 = Instant(nanoseconds: 1_000_000_000)

    @Test("client proposals and server answers start at the configured first sequence")
    func firstSequence() throws {
        let servers = (1...3).map { NodeID(UInt32($0)) }
        let table = try AllocationTable(
            servers: servers.map { ServerInfo(id: $0, zone: "z\($0.rawValue)", endpoints: ["e"]) },
            configuration: TableConfiguration(rowCount: 1, k: 3, minimumGroupSize: 3))
        var clientConfiguration = ClientConfiguration(id: NodeID(NodeID.firstClient.rawValue + 1))
        clientConfiguration.firstSequence = 0x5000_0000
        var client = ClientCore(configuration: clientConfiguration, table: table)
        let payload = Payload(copying: [UInt8](repeating: 3, count: 1000))
        _ = client.put(payload, contentHash: ContentHash.of(payload), now: t0)
        let proposal = try #require(client.pollActions().compactMap { action -> Outbound? in
            if case .send(let out) = action, case .putProposal = out.message { return out } else { return nil }
        }.first)
        #expect(proposal.id.sequence == 0x5000_0000)

        var serverConfiguration = ServerConfiguration(id: servers[0])
        serverConfiguration.firstSequence = 0x7000_0000
        var server = ServerCore(configuration: serverConfiguration, table: table, catalog: ChunkCatalog(), freeBytes: 1 << 30)
        server.handle(
            Inbound(kind: proposal.kind, id: proposal.id, generation: table.generation, message: proposal.message), now: t0)
        let answers = server.pollActions().compactMap { action -> Outbound? in
            if case .send(let out) = action, case .putAccept = out.message { return out } else { return nil }
        }
        #expect(answers.map(\.id.sequence) == [0x7000_0000])
        #expect(answers.map(\.id.source) == [servers[0]])
    }

    @Test("a first sequence of 0 counts as 1")
    func zeroCountsAsOne() throws {
        let table = try AllocationTable(
            servers: (1...3).map { ServerInfo(id: NodeID(UInt32($0)), zone: "z\($0)", endpoints: ["e"]) },
            configuration: TableConfiguration(rowCount: 1, k: 3, minimumGroupSize: 3))
        var c = ClientConfiguration(id: NodeID(NodeID.firstClient.rawValue + 1))
        c.firstSequence = 0
        var client = ClientCore(configuration: c, table: table)
        let payload = Payload(copying: [UInt8](repeating: 4, count: 1000))
        _ = client.put(payload, contentHash: ContentHash.of(payload), now: t0)
        let ids = client.pollActions().compactMap { action -> RequestID? in
            if case .send(let out) = action, case .putProposal = out.message { return out.id } else { return nil }
        }
        #expect(ids.map(\.sequence) == [1])
    }
}
