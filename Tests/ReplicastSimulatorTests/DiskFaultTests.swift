import ReplicastCore
import ReplicastSimulator
import Testing

/// The servers' disks fail as disks do: writes that fail with an I/O error, a store that
/// fills up mid-run, flushes that take a latency spike, crashes that lose what was written
/// and not yet flushed. No acknowledged chunk may be lost, and a failed write is NAKed and
/// retried, never ACKed.
@Suite struct DiskFaultTests {
    static let seeds: [UInt64] = [1, 2, 3]

    /// Six servers, rows of four (a put has a server to spare when one fails it).
    static func disks(seed: UInt64) -> SimulationConfiguration {
        var c = SimulationConfiguration(seed: seed)
        c.transactions = 150
        c.table.minimumGroupSize = 4
        return c
    }

    @Test("write errors are NAKed and the puts retried: every put completes", arguments: seeds)
    func writeErrors(seed: UInt64) throws {
        var c = Self.disks(seed: seed)
        c.faults.writeErrors = 0.1
        let report = try Simulation(configuration: c).run()
        #expect(report.passed, "seed \(seed):\n\(report)")
        #expect(report.disks.writeErrors > 0)
        #expect(report.serverStats.naks >= report.disks.writeErrors, "seed \(seed):\n\(report)")
        #expect(report.puts.acknowledged == report.puts.started, "seed \(seed):\n\(report)")
    }

    @Test("write errors in cluster consensus", arguments: [UInt64(5), 6])
    func writeErrorsClusterConsensus(seed: UInt64) throws {
        var c = Self.disks(seed: seed)
        c.workload.clusterConsensusShare = 1
        c.faults.writeErrors = 0.1
        let report = try Simulation(configuration: c).run()
        #expect(report.passed, "seed \(seed):\n\(report)")
        #expect(report.disks.writeErrors > 0)
    }

    @Test("a disk fills up mid-run: its writes fail as full, the puts go to the row's other servers", arguments: seeds)
    func fullStore(seed: UInt64) throws {
        var c = Self.disks(seed: seed)
        c.faults.diskFills = 1
        let report = try Simulation(configuration: c).run()
        #expect(report.passed, "seed \(seed):\n\(report)")
        #expect(report.disks.fills == 1)
        #expect(report.puts.acknowledged == report.puts.started, "seed \(seed):\n\(report)")
    }

    @Test("two full disks in a row of four leave too few servers for three replicas: those puts fail, none is acknowledged wrongly")
    func twoFullStores() throws {
        var c = Self.disks(seed: 1)
        c.faults.diskFills = 2
        let report = try Simulation(configuration: c).run()
        #expect(report.passed, "\(report)")
        #expect(report.disks.fills == 2)
        #expect(report.puts.failed.keys.allSatisfy { $0 == "insufficient replicas" }, "\(report)")
    }

    @Test("slow flushes and crashes: unflushed writes are lost, acknowledged chunks never", arguments: seeds)
    func slowFlushesAndCrashes(seed: UInt64) throws {
        var c = Self.disks(seed: seed)
        c.faults.slowFlushes = 0.3
        c.faults.crashes = 3
        c.faults.writeErrors = 0.05
        c.faults.loss = 0.01
        let report = try Simulation(configuration: c).run()
        #expect(report.passed, "seed \(seed):\n\(report)")
        #expect(report.disks.slowFlushes > 0)
        #expect(report.crashes == 3)
        #expect(report.verified > 0)
    }

    @Test("the checkers catch a lying disk: acknowledged before flushed, lost in a crash")
    func lyingDiskIsCaught() throws {
        var c = Self.disks(seed: 1)
        c.storage.reportsWritesBeforeFlush = true
        c.faults.slowFlushes = 0.5
        c.faults.crashes = 3
        let report = try Simulation(configuration: c).run()
        #expect(!report.passed)
        #expect(report.disks.lostUnflushedWrites > 0, "\(report)")
        #expect(report.violations.contains { $0.invariant == .acknowledgementsFollowDurableWrites })
        #expect(report.violations.contains { $0.invariant == .acknowledgedChunksSurviveCrashes }, "\(report)")
    }
}
