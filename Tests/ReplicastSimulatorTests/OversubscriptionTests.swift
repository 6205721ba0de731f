import ReplicastSimulator
import Testing

/// Sustained oversubscription: twelve clients put to one Negotiating Group of three servers
/// at twice what the servers can take. With reservations nothing is dropped and throughput
/// stays near capacity; without, transfers collide in the switch buffers, are dropped and
/// retransmitted.
@Suite struct OversubscriptionTests {
    /// The same scenario as `replicast simulate --servers 3 --rows 1 --group-size 3
    /// --replicas 3 --clients 12 --get-share 0 --concurrency 16 --min-chunk 16384
    /// --max-chunk 114688 --offered-load 187.5` (Benchmarks/results/oversubscription.md).
    static func scenario(reservations: Bool) -> SimulationConfiguration {
        var c = SimulationConfiguration(seed: 1)
        c.servers = 3
        c.clients = 12
        c.transactions = 600
        c.replicas = 3
        c.table.rowCount = 1
        c.table.k = 1
        c.table.minimumGroupSize = 3
        c.workload.getShare = 0
        c.workload.concurrency = 16
        c.workload.chunkSizes = 16_384...114_688
        c.workload.offeredRate = 187_500_000  // × 12 clients = 2 × 1.125 GB/s
        c.reservations = reservations
        return c
    }

    /// What one server may take in: its reserved inbound rate (every put goes to all three).
    static let capacity = 1_250_000_000.0 * 0.9

    @Test("with reservations: no congestion drops, no retransmissions, throughput near capacity")
    func withReservations() throws {
        let report = try Simulation(configuration: Self.scenario(reservations: true)).run()
        #expect(report.passed, "\(report)")
        #expect(report.network.congestionDrops == 0, "\(report)")
        #expect(report.puts.retransmittedProposals == 0, "\(report)")
        #expect(report.puts.acknowledged == report.puts.started)
        #expect(report.putThroughput >= 0.85 * Self.capacity, "\(report)")
        #expect(report.putThroughput <= Self.capacity)
    }

    @Test("without reservations: transfers are dropped and retransmitted")
    func withoutReservations() throws {
        let report = try Simulation(configuration: Self.scenario(reservations: false)).run()
        #expect(report.passed, "\(report)")
        #expect(report.network.transferCongestionDrops > 0)
        #expect(report.puts.retransmittedProposals > 0)
        #expect(report.serverStats.incompleteTransfers > 0)
        #expect(report.putThroughput < 0.5 * Self.capacity, "\(report)")
    }
}
