import ArgumentParser
import Foundation
import ReplicastSimulator
import ReplicastWire

/// `replicast simulate`: runs the protocol core in the deterministic simulator and checks
/// its invariants.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run clients and servers in the deterministic simulator, with faults; check the invariants.",
        discussion: """
            The real protocol core runs over a virtual clock and a modelled network (per-link \
            bandwidth, finite switch buffers, loss, duplication, reordering, partitions) with \
            server crashes. The same seed always gives the same run. Prints what happened and \
            exits non-zero if an invariant fails.
            """)

    @ParentCommand var root: Replicast

    @Option(help: "Seed of every random choice (the first seed with --runs).")
    var seed: UInt64 = 1
    @Option(help: "Runs with consecutive seeds from --seed.")
    var runs: Int = 1
    @Option(help: "Storage servers.")
    var servers: Int = 6
    @Option(help: "Clients.")
    var clients: Int = 3
    @Option(help: "Puts and gets in total.")
    var transactions: Int = 300
    @Option(help: "Probability that a datagram is lost (per receiver).")
    var loss: Double = 0
    @Option(help: "Probability that a datagram is delivered twice.")
    var duplicate: Double = 0
    @Option(help: "Probability that a datagram is held back behind later ones.")
    var reorder: Double = 0
    @Option(help: "Server crashes during the workload (each restarts with its store).")
    var crashes: Int = 0

    @Option(help: "Client crashes during the workload (each abandons its transactions in flight).")
    var clientCrashes: Int = 0
    @Option(help: "Network partitions during the workload (one server cut off for a while).")
    var partitions: Int = 0
    @Option(help: "Largest offset of a node's clock from true time, µs either way (each node draws its own).")
    var clockOffsetUs: Double = 0
    @Option(help: "Largest drift of a node's clock, parts per million either way.")
    var clockDriftPpm: Double = 0
    @Option(help: "Probability that a server's write fails with an I/O error.")
    var writeErrors: Double = 0
    @Option(help: "Probability that a write's flush is slow (a latency spike, flushes after it wait).")
    var slowFlushes: Double = 0
    @Option(help: "Longest latency spike of a slow flush, ms (the shortest is a tenth of it).")
    var flushSpikeMs: Double = 50
    @Option(help: "Disks that fill up during the workload (a random server's store becomes full).")
    var diskFills: Int = 0
    @Option(help: "Capacity of each server's store, MiB (default: 64 GiB).")
    var diskMib: UInt64?
    @Flag(help: "Lying disks: writes are reported complete before they are flushed (a crash loses acknowledged chunks).")
    var lyingDisks = false
    @Option(help: "Rows of the allocation table (Negotiating Groups).")
    var rows: UInt32 = 8
    @Option(help: "Servers per Negotiating Group (at least the replicas).")
    var groupSize: Int = 3
    @Option(help: "Replicas per chunk.")
    var replicas: Int = 3
    @Option(help: "Transactions each client keeps in flight.")
    var concurrency: Int = 4
    @Option(help: "Share of transactions that are gets.")
    var getShare: Double = 0.35
    @Option(help: "Smallest chunk, bytes.")
    var minChunk: Int = 256
    @Option(help: "Largest chunk, bytes.")
    var maxChunk: Int = 65_536
    @Option(help: "Open loop: new puts each client offers, MB/s (default: closed loop).")
    var offeredLoad: Double?
    @Option(help: "Link rate of every node, Gbit/s.")
    var linkGbits: Double = 10
    @Option(help: "Link rates of the servers, Gbit/s, comma-separated: server i has the (i mod count)th (default: --link-gbits).")
    var serverLinkGbits: String?
    @Option(help: "Link rates of the clients, Gbit/s, comma-separated, likewise.")
    var clientLinkGbits: String?
    @Option(help: "Misconfigured nodes, comma-separated NODE:FACTOR (NODE a server number, or c0, c1… for clients): the node's allocation states a link FACTOR times faster than its own.")
    var misconfigured: String?
    @Option(help: "Switch buffer towards each node, KiB.")
    var portBuffer: Int = 256
    @Option(help: "How much longer than its transfer a server's proposed window is, µs.")
    var windowSlack: Int = 50
    @Flag(help: "Servers grant every proposal at once at full rate, without a reservation calendar.")
    var noReservations = false
    @Flag(help: "Small-cluster mode: servers keep an indefinite reservation for every client, which puts without proposals.")
    var indefiniteReservations = false
    @Flag(help: "Print every message delivered.")
    var trace = false

    func validate() throws {
        try rejectClusterFile(root, "simulate")
        guard servers >= 1, clients >= 1, transactions >= 0, runs >= 1 else {
            throw ValidationError("servers, clients and runs must be positive, transactions not negative")
        }
        guard crashes >= 0, clientCrashes >= 0, partitions >= 0 else {
            throw ValidationError("--crashes, --client-crashes and --partitions must not be negative")
        }
        guard rows >= 1, portBuffer >= 1, windowSlack >= 0, offeredLoad.map({ $0 > 0 }) ?? true else {
            throw ValidationError("--rows and --port-buffer must be positive, --window-slack not negative, --offered-load positive")
        }
        guard clockOffsetUs >= 0, clockOffsetUs < 500_000, clockDriftPpm >= 0, clockDriftPpm < 100_000 else {
            throw ValidationError("--clock-offset-us must be in [0, 500000), --clock-drift-ppm in [0, 100000)")
        }
        guard diskFills >= 0, flushSpikeMs > 0, diskMib.map({ $0 > 0 }) ?? true else {
            throw ValidationError("--disk-fills must not be negative, --flush-spike-ms and --disk-mib positive")
        }
        for (name, p) in [("loss", loss), ("duplicate", duplicate), ("reorder", reorder),
                          ("write-errors", writeErrors), ("slow-flushes", slowFlushes)] where !(0...1).contains(p) {
            throw ValidationError("--\(name) must be a probability between 0 and 1")
        }
        guard (1...servers).contains(replicas), groupSize >= replicas, groupSize <= servers else {
            throw ValidationError("need 1 ≤ replicas ≤ group size ≤ servers")
        }
        _ = try rates(serverLinkGbits)
        _ = try rates(clientLinkGbits)
        _ = try misconfiguredNodes()
        guard minChunk >= 1, maxChunk >= minChunk, concurrency >= 1, (0...1).contains(getShare), linkGbits > 0 else {
            throw ValidationError("bad workload or link parameters")
        }
    }

    /// A comma-separated list of rates in Gbit/s, as bytes per second.
    func rates(_ list: String?) throws -> [UInt64] {
        guard let list else { return [] }
        return try list.split(separator: ",").map {
            guard let g = Double($0.trimmingCharacters(in: .whitespaces)), g > 0 else {
                throw ValidationError("a link rate must be a positive number of Gbit/s, not \($0)")
            }
            return UInt64(g * 1e9 / 8)
        }
    }

    /// --misconfigured as node ids and factors.
    func misconfiguredNodes() throws -> [NodeID: Double] {
        guard let misconfigured else { return [:] }
        var nodes: [NodeID: Double] = [:]
        for item in misconfigured.split(separator: ",") {
            let parts = item.split(separator: ":")
            guard parts.count == 2, let factor = Double(parts[1]), factor > 0 else {
                throw ValidationError("--misconfigured takes NODE:FACTOR, not \(item)")
            }
            let name = parts[0].trimmingCharacters(in: .whitespaces)
            if name.hasPrefix("c"), let i = UInt32(name.dropFirst()), Int(i) < clients {
                nodes[NodeID(NodeID.firstClient.rawValue + i)] = factor
            } else if let i = UInt32(name.hasPrefix("s") ? String(name.dropFirst()) : name), i >= 1, Int(i) <= servers {
                nodes[NodeID(i)] = factor
            } else {
                throw ValidationError("--misconfigured: no node \(name) (servers 1…\(servers), clients c0…c\(clients - 1))")
            }
        }
        return nodes
    }

    func configuration(seed: UInt64) -> SimulationConfiguration {
        var c = SimulationConfiguration(seed: seed)
        c.servers = servers
        c.clients = clients
        c.transactions = transactions
        c.replicas = replicas
        c.table.rowCount = rows
        c.table.minimumGroupSize = groupSize
        c.table.k = 1
        c.faults.loss = loss
        c.faults.duplicate = duplicate
        c.faults.reorder = reorder
        c.faults.crashes = crashes
        c.faults.clientCrashes = clientCrashes
        c.faults.partitions = partitions
        c.clocks.maxOffset = .nanoseconds(Int64(clockOffsetUs * 1000))
        c.clocks.maxDrift = clockDriftPpm
        c.faults.writeErrors = writeErrors
        c.faults.slowFlushes = slowFlushes
        let spike = Duration.nanoseconds(Int64(flushSpikeMs * 1e6))
        c.faults.flushSpike = (spike / 10)...spike
        c.faults.diskFills = diskFills
        if let diskMib { c.storage.capacity = diskMib << 20 }
        c.storage.reportsWritesBeforeFlush = lyingDisks
        c.reservations = !noReservations
        c.indefiniteReservations = indefiniteReservations
        let slack = Duration.microseconds(windowSlack)
        c.serverTuning = { $0.windowSlack = slack }
        c.links.bandwidth = UInt64(linkGbits * 1e9 / 8)
        c.links.ingressBuffer = portBuffer << 10
        c.links.serverBandwidths = (try? rates(serverLinkGbits)) ?? []
        c.links.clientBandwidths = (try? rates(clientLinkGbits)) ?? []
        c.links.misconfigured = (try? misconfiguredNodes()) ?? [:]
        c.workload.concurrency = concurrency
        c.workload.getShare = getShare
        c.workload.chunkSizes = minChunk...maxChunk
        c.workload.offeredRate = offeredLoad.map { UInt64($0 * 1e6) }
        return c
    }

    func run() throws {
        var failed: [UInt64] = []
        for s in seed..<(seed + UInt64(runs)) {
            let simulation: Simulation
            do {
                simulation = try Simulation(configuration: configuration(seed: s))
            } catch {
                fail("cannot build the cluster: \(error)")
            }
            if trace { simulation.trace = { print($0) } }
            let report = simulation.run()
            print(report)
            if runs > 1 { print("") }
            if !report.passed { failed.append(s) }
        }
        if runs > 1 {
            print(failed.isEmpty ? "all \(runs) runs passed" : "failed seeds: " + failed.map(String.init).joined(separator: " "))
        }
        if !failed.isEmpty { throw ExitCode(1) }
    }
}
