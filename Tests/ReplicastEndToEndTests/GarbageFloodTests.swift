import Glibc
import Logging
import ReplicastCore
import ReplicastDriver
import ReplicastRuntime
import ReplicastTransport
import ReplicastWire
import Synchronization
import Testing

/// Log lines kept by a `CapturingLogHandler`.
final class LogLines: Sendable {
    let lines = Mutex<[String]>([])
}

/// A log handler that keeps every line (for counting what a node logged).
struct CapturingLogHandler: LogHandler {
    let sink: LogLines
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        guard event.level >= logLevel else { return }
        sink.lines.withLock { $0.append("\(event.level) \(event.message)") }
    }
}

/// Garbage datagrams from many sources at once are dropped, counted, and logged at a bounded
/// rate per node, whatever the number of sources.
@Suite("Garbage from many sources", .serialized)
struct GarbageFloodTests {
    @Test("a node logs at most 20 undecodable datagrams per 10 s while it drops and counts every one of a flood")
    func floodIsLoggedAtABoundedRate() throws {
        let cluster = try LocalTestCluster()
        let id = NodeID(1)
        cluster.stop(id)
        let sink = LogLines()
        let logger = Logger(label: "replicast.test.flood") { _ in CapturingLogHandler(sink: sink) }
        let node = try StorageNode(id: id, cluster: cluster.configuration, transport: cluster.transport, logger: logger)
        node.start()
        defer { node.stop() }

        // Every source sends to the Negotiating Group of a row the node serves.
        let table = try cluster.configuration.allocationTable()
        let row = try #require(table.rows(containing: id).first)
        let group = try #require(table.row(row)?.addresses.negotiating.first)
        let sources = EndToEndEnvironment.isVerbs ? 20 : 300
        let perSource = 10
        var batch = SendBatch()
        for s in 0..<sources {
            let sender = try cluster.transport.open(cluster: cluster.configuration, unicastPort: 0)
            for i in 0..<perSource {
                batch.append(to: .group(group), headLength: 64) { head in
                    for j in 0..<head.count { head[j] = UInt8(truncatingIfNeeded: s &* 31 &+ i &* 7 &+ j) }
                }
            }
            try sender.send(&batch)
            sender.close()
            usleep(500)  // a flood, not a burst that overflows the node's socket buffer
        }
        let sent = sources * perSource
        // Loopback and soft-RoCE may drop some under the burst; most must arrive and be counted.
        #expect(eventually(timeout: .seconds(10)) { node.driverStats.decodeErrors >= UInt64(sent / 2) })
        let warnings = sink.lines.withLock { $0.filter { $0.contains("dropped datagram") } }
        print("flood: \(sent) garbage datagrams from \(sources) sources, \(node.driverStats.decodeErrors) dropped and counted, \(warnings.count) log lines")
        #expect(node.driverStats.decodeErrors > 20)
        #expect(warnings.count <= 20)
        #expect(warnings.count >= 1)
    }
}
