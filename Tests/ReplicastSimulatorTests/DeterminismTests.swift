import ReplicastSimulator
import ReplicastWire
import Testing

/// A seed reproduces its run exactly.
@Suite struct DeterminismTests {
    func run(_ seed: UInt64) throws -> SimulationReport {
        try Simulation(configuration: SimulationFixtures.faulty(seed: seed, transactions: 150)).run()
    }

    @Test("the same seed gives the same run; another seed another")
    func sameSeedSameRun() throws {
        let a = try run(11), b = try run(11), c = try run(12)
        #expect(a.digest == b.digest)
        #expect(a.description == b.description)
        #expect(a.digest != c.digest)
    }
}

/// The same with the world's other models switched on: clocks with offsets and drift, disk
/// faults, links of different rates and a misconfigured node.
@Suite struct WorldDeterminismTests {
    func run(_ seed: UInt64) throws -> SimulationReport {
        var c = SimulationConfiguration(seed: seed)
        c.transactions = 120
        c.faults.loss = 0.02
        c.faults.crashes = 1
        c.faults.writeErrors = 0.05
        c.faults.slowFlushes = 0.1
        c.faults.diskFills = 1
        c.clocks.maxOffset = .microseconds(200)
        c.clocks.maxDrift = 50
        c.links.serverBandwidths = [1_250_000_000, 312_500_000]
        c.links.misconfigured = [NodeID(2): 4]
        return try Simulation(configuration: c).run()
    }

    @Test("the same seed gives the same run with clocks, disk faults and mixed links")
    func sameSeedSameRun() throws {
        let a = try run(5), b = try run(5), c = try run(6)
        #expect(a.digest == b.digest)
        #expect(a.description == b.description)
        #expect(a.digest != c.digest)
    }
}
