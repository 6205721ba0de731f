import ReplicastCore
import ReplicastWire
import Testing

/// A participant numbers its messages from its configuration's first sequence, so that a
/// restarted one does not reuse the ids its previous incarnation's peers still remember.
@Suite struct IncarnationTests {
    let t0 = Instant(nanoseconds: 1_000_000_000)

    @Test("client proposals and server answers start at the configured first sequence")
    func firstSequence() throws {
        var client = try OneRowClient { $0.firstSequence = 0x5000_0000 }
        let (proposal, _) = try client.proposal(3, at: t0)
        #expect(proposal.id.sequence == 0x5000_0000)

        var serverConfiguration = ServerConfiguration(id: client.servers[0])
        serverConfiguration.firstSequence = 0x7000_0000
        var server = ServerCore(
            configuration: serverConfiguration, table: client.table, catalog: ChunkCatalog(), freeBytes: 1 << 30)
        server.handle(
            Inbound(kind: proposal.kind, id: proposal.id, generation: client.table.generation, message: proposal.message),
            now: t0)
        let answers = server.pollActions().compactMap { action -> Outbound? in
            if case .send(let out) = action, case .putAccept = out.message { return out } else { return nil }
        }
        #expect(answers.map(\.id.sequence) == [0x7000_0000])
        #expect(answers.map(\.id.source) == [client.servers[0]])
    }

    @Test("a first sequence of 0 counts as 1")
    func zeroCountsAsOne() throws {
        var client = try OneRowClient { $0.firstSequence = 0 }
        #expect(try client.proposal(4, at: t0).out.id.sequence == 1)
    }
}
