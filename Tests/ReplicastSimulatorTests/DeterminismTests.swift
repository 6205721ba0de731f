import ReplicastSimulator
import Testing

/// A seed reproduces its run exactly.
@Suite struct DeterminismTests {
    func run(_ seed: UInt64) throws -> SimulationReport {
        var c = SimulationConfiguration(seed: seed)
        c.transactions = 150
        c.faults.loss = 0.03
        c.faults.duplicate = 0.03
        c.faults.reorder = 0.03
        c.faults.crashes = 1
        c.faults.partitions = 1
        return try Simulation(configuration: c).run()
    }

    @Test("the same seed gives the same run; another seed another")
    func sameSeedSameRun() throws {
        let a = try run(11), b = try run(11), c = try run(12)
        #expect(a.digest == b.digest)
        #expect(a.description == b.description)
        #expect(a.digest != c.digest)
    }
}
