import ReplicastCore
import ReplicastSimulator
import ReplicastWire
import Testing

/// Small clusters: servers keep an indefinite reservation for each client, which puts
/// without a proposal while its credit lasts.
@Suite struct IndefiniteReservationTests {
    let t0 = Instant(nanoseconds: 1_000_000_000)

    func table() throws -> AllocationTable {
        try AllocationTable(
            servers: (1...3).map { ServerInfo(id: NodeID(UInt32($0)), zone: "z\($0)", endpoints: ["e"]) },
            configuration: TableConfiguration(rowCount: 1, k: 3, minimumGroupSize: 3))
    }

    @Test("a client with credit sends the chunk to the whole Negotiating Group at once; without, it proposes")
    func clientSkipsTheProposal() throws {
        var c = ClientConfiguration(id: NodeID(NodeID.firstClient.rawValue + 1))
        c.standingReservation = StandingReservation(rate: 100_000_000, credit: 150_000)
        var client = ClientCore(configuration: c, table: try table())
        let first = Payload(copying: [UInt8](repeating: 1, count: 100_000))
        _ = client.put(first, contentHash: ContentHash.of(first), now: t0)
        let sent = client.pollActions().compactMap { a -> Outbound? in if case .send(let o) = a { return o } else { return nil } }
        #expect(sent.count == 1)
        guard case .rendezvousTransfer(let transfer) = sent.first?.message else { Issue.record("expected a transfer"); return }
        #expect(sent.first?.target == .negotiatingGroup(RowID(0)))
        #expect(transfer.members.sorted() == [NodeID(1), NodeID(2), NodeID(3)])
        #expect(sent.first?.pacing?.rate == 100_000_000)

        // 100 000 bytes in flight: another 100 000 would exceed the credit.
        let second = Payload(copying: [UInt8](repeating: 2, count: 100_000))
        _ = client.put(second, contentHash: ContentHash.of(second), now: t0)
        let next = client.pollActions().compactMap { a -> Message? in if case .send(let o) = a { return o.message } else { return nil } }
        #expect(next.contains { if case .putProposal = $0 { return true } else { return false } })
    }

    @Test("a server books only what its indefinite reservations leave")
    func serverCalendarShrinks() throws {
        var c = ServerConfiguration(id: NodeID(1))
        c.reservedInboundRate = 1_000_000_000
        c.standingReservations = [NodeID(NodeID.firstClient.rawValue + 1): 300_000_000]
        let server = ServerCore(configuration: c, table: try table(), catalog: ChunkCatalog(), freeBytes: 1 << 30)
        #expect(server.calendar.reservedRate == 700_000_000)
    }

    @Test("invariants hold in small-cluster mode under faults, and puts skip proposals")
    func simulated() throws {
        var c = SimulationConfiguration(seed: 8)
        c.servers = 3
        c.clients = 4
        c.transactions = 200
        c.table = TableConfiguration(rowCount: 1, k: 1, minimumGroupSize: 3)
        c.workload.clusterConsensusShare = 0
        c.indefiniteReservations = true
        c.faults.loss = 0.02
        c.faults.duplicate = 0.02
        c.faults.reorder = 0.02
        c.faults.crashes = 1
        let report = try Simulation(configuration: c).run()
        #expect(report.passed, "\(report)")
        #expect(report.puts.acknowledged > 0)
        // Most puts go on the standing reservations without a proposal (the others are the
        // retries after the crash and after lost datagrams). Each of the three servers hears
        // every proposal.
        #expect(report.serverStats.proposals / c.servers < report.puts.started / 2, "\(report)")
    }
}
