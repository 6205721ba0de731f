import Foundation
import Logging
import ReplicastCore
import ReplicastRuntime
import ReplicastTransport
import ReplicastWire
import Synchronization

/// A cluster of in-process storage nodes in a temporary directory, with ports and multicast
/// ranges of its own so tests can run in parallel. The transport is the environment's
/// (`EndToEndEnvironment`): UDP multicast on loopback (TTL 0), or verbs on soft-RoCE.
final class LocalTestCluster: @unchecked Sendable {
    private static let clusters = Atomic<Int>(0)

    let directory: String
    var configuration: ClusterConfiguration
    private(set) var nodes: [NodeID: StorageNode] = [:]

    init(
        nodes count: Int = 5, replicas: Int = 3, volunteers: Int = 0, quotas: [UInt32: Int] = [:],
        transport: TransportChoice = EndToEndEnvironment.transport
    ) throws {
        let n = LocalTestCluster.clusters.add(1, ordering: .relaxed).newValue
        // Ports: the multicast port, then one per node; 10 per cluster, 100 per process.
        let base = UInt16(20_000 + (Int(getpid()) % 400) * 100 + (n % 10) * 10)
        directory = NSTemporaryDirectory() + "replicast-e2e-\(getpid())-\(n)"
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        configuration = ClusterConfiguration.local(
            nodes: count, directory: directory, replicas: replicas, basePort: base, multicastPort: base,
            volunteers: volunteers)
        for i in configuration.servers.indices {
            if let q = quotas[configuration.servers[i].id] { configuration.servers[i].quotaBytes = q }
        }
        // Multicast ranges of its own too: verbs joins by IP address only (ports are ignored).
        let slot = 100 + n % 40
        configuration.table.networks = [NetworkConfiguration(
            negotiatingBase: "239.\(slot).0.0", notificationBase: "239.\(slot).128.0", rendezvousBase: "239.\(slot + 50).0.0")]
        self.transport = transport
        for s in configuration.servers { try start(NodeID(s.id)) }
    }

    let transport: TransportChoice

    /// Starts (or restarts) node `id` on its data directory.
    func start(_ id: NodeID) throws {
        var logger = Logger(label: "replicast.test.node.\(id.rawValue)")
        logger.logLevel = EndToEndEnvironment.logLevel
        let node = try StorageNode(
            id: id, cluster: configuration, transport: transport, logger: logger)
        node.start()
        nodes[id] = node
    }

    /// Stops node `id` (a clean stop: queued writes finish).
    func stop(_ id: NodeID) {
        nodes.removeValue(forKey: id)?.stop()
    }

    func stopAll() {
        for id in nodes.keys.sorted() { stop(id) }
    }

    func client(tuning: (inout ClientConfiguration) -> Void = { _ in }) throws -> ReplicastClient {
        var logger = Logger(label: "replicast.test.client")
        logger.logLevel = EndToEndEnvironment.logLevel
        return try ReplicastClient(cluster: configuration, transport: transport, logger: logger, tuning: tuning)
    }

    /// Servers whose store holds `hash`.
    func holders(of hash: HashID) -> [NodeID] {
        nodes.filter { $0.value.store.contains(hash) }.map(\.key).sorted()
    }

    deinit {
        stopAll()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// A data size of the tests, scaled for the environment (a quarter under verbs).
func dataSize(_ count: Int) -> Int { EndToEndEnvironment.bytes(count) }

/// The chunk size objects are cut into in the tests, scaled like the data.
let chunkSize = EndToEndEnvironment.chunkSize

/// Deterministic pseudo-random bytes.
func testBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var rng = RandomSource(seed: seed)
    var out = [UInt8](repeating: 0, count: count)
    var i = 0
    while i < count {
        var word = rng.next()
        for _ in 0..<8 where i < count {
            out[i] = UInt8(truncatingIfNeeded: word)
            word >>= 8
            i += 1
        }
    }
    return out
}

/// Writes bytes to a new temporary file and returns its path.
func temporaryFile(_ bytes: [UInt8], in directory: String, name: String) throws -> String {
    let path = directory + "/" + name
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

/// Polls `condition` until it holds or `timeout` passes (asynchronous effects such as a
/// volunteer's store write).
func eventually(timeout: Duration = .seconds(5), _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}
