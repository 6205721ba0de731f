import ArgumentParser
import Foundation
import Logging
import ReplicastCore
import ReplicastRuntime
import ReplicastWire

/// `replicast-bench put`: 1 MiB chunks with 3 replicas into an in-process cluster of storage
/// nodes over UDP on loopback, sent once by multicast and, in the same run, as one unicast
/// copy per replica by the same client code; throughput and the sender's wire bytes per
/// byte stored.
struct PutBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "put", abstract: "Multicast vs unicast-copies puts on a local UDP cluster.")

    @Option(help: "Storage nodes.") var nodes = 5
    @Option(help: "Replicas per chunk.") var replicas = 3
    @Option(help: "Chunks per run.") var chunks = 96
    @Option(help: "Chunk size in bytes.") var chunkSize = 1 << 20
    @Option(help: "Chunks in flight.") var window = 4
    @Option(help: "Runs per fan-out (alternating); medians are reported.") var runs = 3
    @Option(help: "Directory for the nodes' stores.") var dir = "/tmp/replicast-bench-put"

    struct Run {
        var seconds: Double
        var bytesSent: UInt64
        var datagramsSent: UInt64
        /// Proposals beyond the first, over all chunks (NAKs, timeouts, Not Now).
        var retries: Int
        /// Why: the servers' counters.
        var serverSummary: String
    }

    func run() throws {
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = .warning
            return h
        }
        print("replicast-bench put: \(nodes) nodes, \(replicas) replicas, \(chunks) chunks of \(chunkSize) bytes, window \(window), \(runs) runs per fan-out")
        var results: [TransferFanout: [Run]] = [.multicast: [], .unicastCopies: []]
        for r in 0..<runs {
            for fanout in [TransferFanout.multicast, .unicastCopies] {
                let result = try measure(fanout: fanout, seed: UInt64(r * 2 + (fanout == .multicast ? 0 : 1)))
                results[fanout]!.append(result)
                print("  run \(r + 1) \(name(fanout)): \(fixed(mbps(result), 1)) MB/s stored-object, \(fixed(perStored(result), 3)) wire bytes per byte stored, \(result.retries) retries (servers: \(result.serverSummary))")
            }
        }
        let m = median(results[.multicast]!), u = median(results[.unicastCopies]!)
        print("")
        print("| fan-out | object MB/s (median) | sender wire bytes per byte stored | sender datagrams per chunk |")
        print("| --- | ---: | ---: | ---: |")
        for (label, run) in [("multicast (Replicast)", m), ("3 unicast copies (same code)", u)] {
            print("| \(label) | \(fixed(mbps(run), 1)) | \(fixed(perStored(run), 3)) | \(fixed(Double(run.datagramsSent) / Double(chunks), 1)) |")
        }
        print("")
        print("ratio multicast / unicast copies: throughput \(fixed(mbps(m) / mbps(u), 2))x, wire bytes \(fixed(perStored(m) / perStored(u), 3))")
    }

    func name(_ f: TransferFanout) -> String { f == .multicast ? "multicast" : "unicast copies" }
    func mbps(_ r: Run) -> Double { Double(chunks * chunkSize) / r.seconds / 1e6 }
    func perStored(_ r: Run) -> Double { Double(r.bytesSent) / Double(chunks * chunkSize * replicas) }
    func median(_ runs: [Run]) -> Run { runs.sorted { $0.seconds < $1.seconds }[runs.count / 2] }

    /// One run on a fresh cluster: distinct chunks (no dedup), all acknowledged by `replicas` servers.
    func measure(fanout: TransferFanout, seed: UInt64) throws -> Run {
        let runDir = "\(dir)/\(getpid())-\(seed)"
        try? FileManager.default.removeItem(atPath: runDir)
        defer { try? FileManager.default.removeItem(atPath: runDir) }
        let base = UInt16(30_000 + Int(getpid() % 500) * 40 + Int(seed % 4) * 10)
        let cluster = ClusterConfiguration.local(
            nodes: nodes, directory: runDir, replicas: replicas, basePort: base, multicastPort: base)
        let servers = try cluster.servers.map { s in
            let node = try StorageNode(id: NodeID(s.id), cluster: cluster)
            node.start()
            return node
        }
        defer { servers.forEach { $0.stop() } }
        let client = try ReplicastClient(cluster: cluster) { $0.fanout = fanout }
        var rng = RandomSource(seed: seed &+ 1)
        let payloads: [Payload] = try (0..<chunks).map { _ in
            let buffer = try client.allocate(count: chunkSize)
            let words = buffer.base.bindMemory(to: UInt64.self, capacity: chunkSize / 8)
            for i in 0..<(chunkSize / 8) { words[i] = rng.next() }
            return Payload(buffer)
        }
        let before = client.transportCounters
        let start = ContinuousClock.now
        let outcomes = client.putChunks(count: chunks, window: window, chunk: { payloads[$0] })
        let elapsed = ContinuousClock.now - start
        var retries = 0
        for o in outcomes {
            let receipt = try o.get()
            retries += receipt.attempts - 1
            // A server that stored the chunk in an earlier attempt answers Content Already Stored.
            let holders = Set(receipt.storedOn + receipt.alreadyStored).count
            guard holders >= replicas else { throw ValidationError("a chunk got only \(holders) replicas") }
        }
        let after = client.transportCounters
        return Run(
            seconds: Double(elapsed.nanoseconds) / 1e9, bytesSent: after.bytesSent - before.bytesSent,
            datagramsSent: after.datagramsSent - before.datagramsSent, retries: retries,
            serverSummary: ServerStats.retrySummary(of: servers.map(\.stats)))
    }
}
