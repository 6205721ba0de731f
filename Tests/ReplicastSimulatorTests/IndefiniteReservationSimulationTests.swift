import ReplicastCore
import ReplicastSimulator
import ReplicastWire
import Testing

/// Small clusters: servers keep an indefinite reservation for each client, which puts
/// without a proposal while its credit lasts. (The client's and the server's sides of it,
/// without a simulation, are tested in ReplicastCoreTests.)
@Suite struct IndefiniteReservationSimulationTests {
    @Test("invariants hold in small-cluster mode under faults, and puts skip proposals")
    func simulated() throws {
        var c = SimulationFixtures.lossy(seed: 8, transactions: 200)
        c.servers = 3
        c.clients = 4
        c.table = TableConfiguration(rowCount: 1, k: 1, minimumGroupSize: 3)
        c.workload.clusterConsensusShare = 0
        c.indefiniteReservations = true
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
