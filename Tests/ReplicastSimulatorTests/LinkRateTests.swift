import ReplicastCore
import ReplicastSimulator
import ReplicastWire
import Testing

/// Nodes with links of different rates, and a node whose configuration overstates its link.
@Suite struct LinkRateTests {
    static let gbit: UInt64 = 125_000_000

    @Test("servers slower than clients: each server books its own link; nothing is dropped and every put completes")
    func slowServers() throws {
        var c = SimulationConfiguration(seed: 21)
        c.transactions = 200
        c.links.serverBandwidths = [25 * Self.gbit / 10]
        c.links.clientBandwidths = [10 * Self.gbit]
        let report = try Simulation(configuration: c).run()
        #expect(report.passed, "\(report)")
        #expect(report.network.transferCongestionDrops == 0, "\(report)")
        #expect(report.puts.acknowledged == report.puts.started, "\(report)")
        #expect(report.links.contains("servers 2.50/"), "\(report)")
    }

    @Test("a list of server rates (10, 10 and 1 Gbit/s): invariants hold and every put completes")
    func mixedServers() throws {
        var c = SimulationConfiguration(seed: 22)
        c.transactions = 200
        c.links.serverBandwidths = [10 * Self.gbit, 10 * Self.gbit, 1 * Self.gbit]
        c.faults.loss = 0.01
        let report = try Simulation(configuration: c).run()
        #expect(report.passed, "\(report)")
        #expect(report.puts.acknowledged == report.puts.started, "\(report)")
    }

    /// Twelve clients offer 400 MB/s each of puts of one replica to a row of three servers
    /// (4.8 GB/s for 3.375 GB/s of reserved ingress); server 1's allocation states a link
    /// ten times faster than its own, so it grants ten times what its switch port can take.
    /// The same as `replicast simulate --servers 3 --rows 1 --group-size 3 --replicas 1
    /// --clients 12 --concurrency 32 --get-share 0 --min-chunk 16384 --max-chunk 114688
    /// --offered-load 400 --misconfigured 1:10` (whose default window slack is 50 µs).
    static func misconfigured(factor: Double) -> SimulationConfiguration {
        var c = SimulationConfiguration(seed: 23)
        c.servers = 3
        c.clients = 12
        c.transactions = 240
        c.replicas = 1
        c.table = TableConfiguration(rowCount: 1, k: 1, minimumGroupSize: 3)
        c.workload.getShare = 0
        c.workload.concurrency = 32
        c.workload.chunkSizes = 16_384...114_688
        c.workload.offeredRate = 400_000_000
        c.links.misconfigured = [NodeID(1): factor]
        c.serverTuning = { $0.windowSlack = .microseconds(50) }
        return c
    }

    @Test("a server configured for ten times its link: acknowledged puts stay durable and readable; throughput collapses")
    func misconfiguredServer() throws {
        let right = try Simulation(configuration: Self.misconfigured(factor: 1)).run()
        let wrong = try Simulation(configuration: Self.misconfigured(factor: 10)).run()
        #expect(right.passed, "\(right)")
        withKnownIssue("since rate control and the core fixes met in one tree, one transfer datagram of this saturated row overflows a switch port (peak backlog about 259 KB of 256 KiB); its put completes after the reassembly timeout, which stretches the short run's throughput") {
            #expect(right.network.transferCongestionDrops == 0, "\(right)")
        }
        // Every invariant holds: nothing acknowledged is lost or unreadable.
        #expect(wrong.passed, "\(wrong)")
        // Its switch port overflows: transfers are dropped, NAKed as incomplete and retried.
        #expect(wrong.network.transferCongestionDrops > 0, "\(wrong)")
        #expect(wrong.serverStats.incompleteTransfers > 0, "\(wrong)")
        // Every put completes today (through retries; the issue's target invariant)...
        #expect(wrong.puts.acknowledged == wrong.puts.started, "\(wrong)")
        // ... but the cluster keeps sending to the server that overbooks: throughput falls far
        // below the correctly configured cluster's. A sender (or the server) that backs off
        // on incomplete transfers would restore most of it.
        withKnownIssue("no congestion control: incomplete transfers do not lower a server's or a client's rate (AIMD)") {
            #expect(wrong.putThroughput >= 0.5 * right.putThroughput,
                    "misconfigured \(Int(wrong.putThroughput / 1e6)) MB/s, correct \(Int(right.putThroughput / 1e6)) MB/s")
            #expect(wrong.puts.p99Latency < .milliseconds(100), "p99 \(wrong.puts.p99Latency)")
        }
    }
}
