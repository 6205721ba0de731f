import Foundation
import ReplicastRuntime
import Testing

/// An RDMA device removed under a running `replicast-node` and a `replicast put` in the
/// middle of its transfers (`rdma link delete`, as a hot unplug or an administrator would).
///
/// Both learn of it from rdma_cm's RDMA_CM_EVENT_DEVICE_REMOVAL: the node stops with a clear
/// error and exit status 3, the put fails with the same reason, and neither spins on a dead
/// device. The removal itself completes, which it cannot while a process still holds the
/// device (rxe cannot take its resources from a live process).
///
/// Only in the soft-RoCE VM (it needs root and rdma_rxe), on an rxe device of its own (rxe9
/// over a veth pair of its own), so rxe0 stays up for the other tests.
@Suite("an RDMA device removed under a node and a client", .serialized)
struct DeviceRemovalTests {
    /// Runs `command` with /bin/sh; its status and output.
    @discardableResult
    func shell(_ command: String) throws -> (status: Int32, output: String) {
        let p = try start(["/bin/sh", "-c", command])
        return (p.wait(), p.output)
    }

    /// A process whose output (stdout and stderr) is collected as it comes.
    final class Running: @unchecked Sendable {
        let process = Process()
        private let collected = NSLock()
        private var data = Data()

        var output: String { collected.withLock { String(decoding: data, as: UTF8.self) } }

        fileprivate func collect(_ more: Data) { collected.withLock { data.append(more) } }

        /// Waits for the exit; its status.
        func wait() -> Int32 {
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    func start(_ arguments: [String]) throws -> Running {
        let r = Running()
        r.process.executableURL = URL(fileURLWithPath: arguments[0])
        r.process.arguments = Array(arguments.dropFirst())
        let pipe = Pipe()
        r.process.standardOutput = pipe
        r.process.standardError = pipe
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let more = handle.availableData
            if more.isEmpty { handle.readabilityHandler = nil } else { r.collect(more) }  // end of file: stop
        }
        try r.process.run()
        return r
    }

    @Test(
        "rdma link delete under a node and a put: both stop with the device's failure, the removal completes",
        .enabled(if: EndToEndEnvironment.inSoftRoCE && ProcessClusterTests.available, "soft-RoCE VM only (root, rdma_rxe)"),
        .timeLimit(.minutes(5)))
    func removingTheDeviceStopsTheNodeAndFailsThePut() throws {
        let dir = NSTemporaryDirectory() + "replicast-removal-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }

        // rxe9 over a veth pair made here, and gone again whatever happens.
        let up = try shell("""
            ip link add v9 type veth peer name v9p && ip link set v9 mtu 9000 && ip link set v9p mtu 9000 \
            && ip addr add 10.9.9.1/24 dev v9 && ip link set v9 up && ip link set v9p up \
            && rdma link add rxe9 type rxe netdev v9
            """)
        defer { _ = try? shell("rdma link delete rxe9 2>/dev/null; ip link delete v9 2>/dev/null") }
        try #require(up.status == 0, "cannot make rxe9: \(up.output)")
        let active = eventually(timeout: .seconds(30)) {
            (try? shell("ibv_devinfo -d rxe9 | grep -q PORT_ACTIVE").status) == 0
        }
        try #require(active, "rxe9's port did not become active")

        let cluster = ClusterConfiguration.local(
            nodes: 1, directory: dir + "/c", replicas: 1, basePort: 47_000, multicastPort: 47_000)
        let yaml = dir + "/cluster.yaml"
        try cluster.save(to: yaml)
        let verbs = ["--transport", "verbs", "--device", "rxe9"]
        let node = try start(
            [ProcessClusterTests.binaries + "/replicast-node", "--cluster", yaml, "--id", "1", "--ready-file", dir + "/ready"]
                + verbs)
        defer { if node.process.isRunning { node.process.terminate() } }
        try #require(eventually(timeout: .seconds(60)) { FileManager.default.fileExists(atPath: dir + "/ready") },
                     "the node did not come up: \(node.output)")

        // A put long enough to be in the middle of its transfers when the device goes: the
        // removal starts once the node holds some of its chunks.
        let object = try temporaryFile(testBytes(48 << 20, seed: 91), in: dir, name: "object")
        let put = try start([ProcessClusterTests.binaries + "/replicast", "--cluster", yaml, "put", object, "--name", "b/object"] + verbs)
        defer { if put.process.isRunning { put.process.terminate() } }
        let storing = eventually(timeout: .seconds(60)) { Self.regularFiles(under: dir + "/c/node-1") >= 2 }
        try #require(storing, "the put stored nothing: \(put.output)")
        #expect(put.process.isRunning, "the put ended before the device was removed: \(put.output)")

        let removal = try start(["/bin/sh", "-c", "rdma link delete rxe9"])
        let removed = eventually(timeout: .seconds(90)) { !removal.process.isRunning }
        let nodeStopped = eventually(timeout: .seconds(10)) { !node.process.isRunning }
        let putEnded = eventually(timeout: .seconds(10)) { !put.process.isRunning }
        // What they printed last may still be on its way through the pipes.
        let reason = "the RDMA device was removed"
        let nodeSaid = eventually(timeout: .seconds(5)) { node.output.contains(reason) }
        let putSaid = eventually(timeout: .seconds(5)) { put.output.contains(reason) }
        print("device removal: rdma link delete \(removed ? "completed" : "still waiting"); node "
            + (nodeStopped ? "exited \(node.process.terminationStatus)" : "still running") + "; put "
            + (putEnded ? "exited \(put.process.terminationStatus)" : "still running"))
        print("device removal, the node said: \(node.output.split(separator: "\n").suffix(2).joined(separator: " | "))")
        print("device removal, the put said: \(put.output.split(separator: "\n").suffix(2).joined(separator: " | "))")
        #expect(removed, "rdma link delete rxe9 waits: a process still holds the device")
        #expect(nodeStopped && node.process.terminationStatus == 3)
        #expect(nodeSaid, "the node did not say why it stopped")
        #expect(putEnded && put.process.terminationStatus != 0)
        #expect(putSaid, "the put did not say why it failed")
        if removed { #expect(removal.wait() == 0, "rdma link delete failed: \(removal.output)") }
    }

    /// Regular files of non-zero size under `path`, at any depth.
    static func regularFiles(under path: String) -> Int {
        guard let walk = FileManager.default.enumerator(atPath: path) else { return 0 }
        var n = 0
        for case let name as String in walk {
            let attributes = try? FileManager.default.attributesOfItem(atPath: path + "/" + name)
            if attributes?[.type] as? FileAttributeType == .typeRegular, (attributes?[.size] as? Int ?? 0) > 0 { n += 1 }
        }
        return n
    }
}
