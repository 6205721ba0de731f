import Foundation
import Testing

/// The commands as a user runs them: `replicast local-cluster` starting `replicast-node`
/// processes, and `replicast put/get/locate` against its cluster file, over the environment's
/// transport (`--transport verbs --device rxe0` in the soft-RoCE VM).
@Suite("replicast-node processes", .serialized)
struct ProcessClusterTests {
    /// The directory holding the built executables (next to the test bundle).
    static let binaries: String = {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().path
    }()

    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: binaries + "/replicast")
            && FileManager.default.isExecutableFile(atPath: binaries + "/replicast-node")
    }

    @discardableResult
    func replicast(_ args: [String], expectSuccess: Bool = true) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binaries + "/replicast")
        p.arguments = args + EndToEndEnvironment.commandLineOptions
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let output = String(decoding: data, as: UTF8.self)
        if expectSuccess && p.terminationStatus != 0 {
            Issue.record("replicast \(args.joined(separator: " ")) failed (\(p.terminationStatus)): \(output)")
        }
        return (p.terminationStatus, output)
    }

    func startCluster(dir: String, port: Int) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binaries + "/replicast")
        p.arguments = ["local-cluster", "--nodes", "5", "--replicas", "3", "--dir", dir, "--base-port", "\(port)"]
            + EndToEndEnvironment.commandLineOptions
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        let ready = eventually(timeout: .seconds(60)) { FileManager.default.fileExists(atPath: dir + "/cluster.yaml") }
        try #require(ready, "local cluster did not come up")
        return p
    }

    func stopCluster(_ p: Process) -> Bool {
        p.terminate()
        let stopped = eventually(timeout: .seconds(20)) { !p.isRunning }
        return stopped && p.terminationStatus == 0
    }

    @Test("local-cluster, put, get, locate; a node killed during a put; restart of every node", .enabled(if: available))
    func endToEnd() throws {
        let dir = NSTemporaryDirectory() + "replicast-proc-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let port = 45_000 + Int(getpid()) % 400 * 10
        var cluster = try startCluster(dir: dir + "/c", port: port)
        let yaml = dir + "/c/cluster.yaml"

        let small = try temporaryFile(testBytes(6 << 20, seed: 61), in: dir, name: "small")
        let put = try replicast(["--cluster", yaml, "put", small, "--name", "b/small"])
        #expect(put.output.contains("put b/small: 6291456 bytes in 6 chunks"))
        try replicast(["--cluster", yaml, "get", "b/small", "-o", dir + "/small.out", "--consensus", "cluster"])
        #expect(FileManager.default.contentsEqual(atPath: small, andPath: dir + "/small.out"))
        let located = try replicast(["--cluster", yaml, "locate", "b/small"]).output
        let lines = located.split(separator: "\n")
        #expect(lines.count == 7)
        for line in lines { #expect(line.split(separator: ":").last!.split(separator: " ").count >= 3) }

        // SIGKILL node 2 while a 32 MiB put is in flight.
        let big = try temporaryFile(testBytes(32 << 20, seed: 62), in: dir, name: "big")
        let pid = pid_t(try String(contentsOfFile: dir + "/c/node-2.ready", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines))!
        let killer = Thread { usleep(150_000); kill(pid, SIGKILL) }
        killer.start()
        try replicast(["--cluster", yaml, "put", big, "--name", "b/big"])
        try replicast(["--cluster", yaml, "get", "b/big", "-o", dir + "/big.out"])
        #expect(FileManager.default.contentsEqual(atPath: big, andPath: dir + "/big.out"))

        // A missing object: non-zero exit and a one-line reason.
        let missing = try replicast(["--cluster", yaml, "get", "b/missing", "-o", dir + "/m"], expectSuccess: false)
        #expect(missing.status != 0)
        #expect(missing.output == "replicast: error: object b/missing not found\n")

        // Stop every node (SIGTERM), start them again on the same data: everything reads back.
        #expect(stopCluster(cluster))
        cluster = try startCluster(dir: dir + "/c", port: port)
        try replicast(["--cluster", yaml, "get", "b/small", "-o", dir + "/small2.out"])
        try replicast(["--cluster", yaml, "get", "b/big", "-o", dir + "/big2.out"])
        #expect(FileManager.default.contentsEqual(atPath: small, andPath: dir + "/small2.out"))
        #expect(FileManager.default.contentsEqual(atPath: big, andPath: dir + "/big2.out"))
        #expect(stopCluster(cluster))
    }
}
