import ReplicastCore
import ReplicastSimulator
import ReplicastWire
import Testing

/// The protocol core under faults: many seeds, thousands of transactions, loss,
/// duplication, reordering, partitions and crashes; every invariant must hold.
@Suite struct SimulationInvariantTests {
    static let seeds: [UInt64] = Array(1...16)

    @Test("invariants hold under loss, duplication, reordering, partitions and crashes", arguments: seeds)
    func invariantsHoldUnderFaults(seed: UInt64) throws {
        let report = try Simulation(configuration: SimulationFixtures.faulty(seed: seed)).run()
        #expect(report.passed, "seed \(seed):\n\(report)")
        // The faults did strike, and the cluster still did its work.
        #expect(report.network.lossDrops > 0)
        #expect(report.network.duplicated > 0)
        #expect(report.network.reordered > 0)
        #expect(report.crashes == 2)
        #expect(report.clientCrashes == 1)
        #expect(report.puts.started + report.gets.started == 250)
        #expect(report.puts.acknowledged * 10 >= report.puts.started * 8, "seed \(seed):\n\(report)")
        #expect(report.verified > 0)
    }

    @Test("clients that crash mid-transaction leave nothing behind at the servers", arguments: [UInt64(3), 5, 8])
    func clientCrashes(seed: UInt64) throws {
        var c = SimulationConfiguration(seed: seed)
        c.transactions = 300
        c.faults.loss = 0.01
        c.faults.clientCrashes = 5
        let report = try Simulation(configuration: c).run()
        #expect(report.passed, "seed \(seed):\n\(report)")
        #expect(report.clientCrashes == 5)
        #expect(report.puts.abandoned + report.gets.abandoned >= 5, "seed \(seed):\n\(report)")
    }

    @Test("a server that keeps abandoned work past the end of the run breaks the release invariant")
    func releaseIsChecked() throws {
        var c = SimulationConfiguration(seed: 3)
        c.transactions = 100
        c.faults.clientCrashes = 3
        c.timeLimit = .seconds(120)
        c.serverTuning = { $0.grace = .seconds(3600) }  // holds an abandoned put for an hour
        let report = try Simulation(configuration: c).run()
        #expect(report.violations.contains { $0.invariant == .serversRelease }, "\(report)")
    }

    @Test("a fault-free run finishes every transaction and reads every chunk back")
    func faultFree() throws {
        var c = SimulationConfiguration(seed: 99)
        c.transactions = 400
        let report = try Simulation(configuration: c).run()
        #expect(report.passed, "\(report)")
        #expect(report.puts.failed.isEmpty && report.gets.failed.isEmpty, "\(report)")
        #expect(report.puts.acknowledged == report.puts.started)
        #expect(report.gets.succeeded == report.gets.started)
        #expect(report.network.lossDrops + report.network.congestionDrops + report.network.crashDrops == 0)
        #expect(report.verified > 0)
    }

    @Test("puts of small chunks carried whole in their proposals (no rendezvous), under faults", arguments: [UInt64(11), 12, 13])
    func immediatePutsUnderFaults(seed: UInt64) throws {
        var c = SimulationFixtures.faulty(seed: seed)
        c.workload.chunkSizes = 256...16_384
        c.clientTuning = { $0.maxImmediatePut = 8192 }
        let report = try Simulation(configuration: c).run()
        #expect(report.passed, "seed \(seed):\n\(report)")
        // Some chunks went whole in their proposals (stored with no offer), some negotiated.
        #expect(report.serverStats.chunksStored > report.serverStats.acceptsOffered, "seed \(seed):\n\(report)")
        #expect(report.serverStats.acceptsOffered > 0)
        #expect(report.puts.acknowledged * 10 >= report.puts.started * 8, "seed \(seed):\n\(report)")
        #expect(report.verified > 0)
    }

    @Test("cluster consensus alone, under faults")
    func clusterConsensus() throws {
        var c = SimulationFixtures.faulty(seed: 4242)
        c.workload.clusterConsensusShare = 1
        let report = try Simulation(configuration: c).run()
        #expect(report.passed, "\(report)")
        #expect(report.puts.acknowledged > 0)
    }

    @Test("a broken core is caught: a policy that acknowledges puts without storing them")
    func brokenCoreIsCaught() throws {
        var c = SimulationConfiguration(seed: 5)
        c.transactions = 60
        c.clientTuning = { $0.policy = AlwaysSufficientPolicy() }
        let report = try Simulation(configuration: c).run()
        #expect(!report.passed)
        #expect(report.violations.contains { $0.invariant == .acknowledgedPutsReadable })
    }
}

/// Claims every put already has its replicas: a client that believes it is done without a
/// transfer.
struct AlwaysSufficientPolicy: RendezvousPolicy {
    func choose(_ input: RendezvousInput) -> RendezvousDecision { .sufficient }
}
