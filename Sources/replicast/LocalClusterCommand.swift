import ArgumentParser
import Dispatch
import Foundation
import ReplicastCommandLine
import ReplicastRuntime

/// `replicast local-cluster --nodes N --dir DIR`: N `replicast-node` processes on this
/// machine (loopback multicast, TTL 0), described by `DIR/cluster.yaml`, until SIGINT/SIGTERM.
struct LocalClusterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "local-cluster",
        abstract: "Run a cluster of storage nodes on this machine until SIGINT or SIGTERM.",
        discussion: "DIR/cluster.yaml appears once every node is up and is removed when the cluster stops; scripts can wait for it.")

    @Option(name: .long, help: "Number of storage nodes.")
    var nodes: Int = 5

    @ParentCommand var root: Replicast

    @Option(name: .long, help: "Directory for the cluster file, node data and logs.")
    var dir: String

    @Option(name: .long, help: "Replicas per chunk.")
    var replicas: Int = 3

    @Option(name: .long, help: "The nodes' transport.")
    var transport: TransportName = .udp

    @Option(name: .long, help: "Verbs device (e.g. rxe0).")
    var device: String?

    @Option(name: .long, help: "How many nodes (the last ones) volunteer copies on gets.")
    var volunteers: Int = 0

    @Option(name: .long, help: "Per-node store quota in bytes.")
    var quotaBytes: Int?

    @Option(name: .long, help: "First port (multicast port; node N listens on base+N). Default: derived from the process id.")
    var basePort: UInt16?

    func validate() throws {
        guard nodes >= 1 && nodes <= 64 else { throw ValidationError("--nodes must be 1...64") }
        guard replicas >= 1 && replicas <= nodes else { throw ValidationError("--replicas must be 1...nodes") }
        guard volunteers >= 0 && volunteers < nodes else { throw ValidationError("--volunteers must be below --nodes") }
        try require(quotaBytes, atLeast: 1, "quota-bytes")
        _ = try transport.choice(device: device, gidIndex: nil)
        try rejectClusterFile(root, "local-cluster")
    }

    func run() throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let dir = URL(fileURLWithPath: self.dir).standardizedFileURL.path
        let clusterFile = dir + "/cluster.yaml"
        let startingFile = dir + "/.cluster.starting.yaml"
        try? fm.removeItem(atPath: clusterFile)
        let base = basePort ?? UInt16(20_000 + Int(getpid()) % 20_000)
        let cluster = ClusterConfiguration.local(
            nodes: nodes, directory: dir, replicas: replicas, basePort: base, multicastPort: base,
            volunteers: volunteers, quotaBytes: quotaBytes)
        try cluster.save(to: startingFile)

        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        let nodeBinary = exe.appendingPathComponent("replicast-node").path
        guard fm.isExecutableFile(atPath: nodeBinary) else { fail("replicast-node not found next to replicast (\(nodeBinary))") }

        var children: [Process] = []
        for server in cluster.servers {
            let ready = "\(dir)/node-\(server.id).ready"
            try? fm.removeItem(atPath: ready)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: nodeBinary)
            var args = ["--cluster", startingFile, "--id", "\(server.id)", "--transport", transport.rawValue, "--ready-file", ready]
            if let device { args += ["--device", device] }
            p.arguments = args
            let logPath = "\(dir)/node-\(server.id).log"
            _ = fm.createFile(atPath: logPath, contents: nil)
            let log = FileHandle(forWritingAtPath: logPath)!
            log.seekToEndOfFile()
            p.standardOutput = log
            p.standardError = log
            try p.run()
            children.append(p)
        }
        // The cluster file exists exactly while the cluster is up.
        func stopAll() {
            try? fm.removeItem(atPath: clusterFile)
            for c in children where c.isRunning { c.terminate() }
            for c in children { c.waitUntilExit() }
            for s in cluster.servers { try? fm.removeItem(atPath: "\(dir)/node-\(s.id).ready") }
        }
        // Wait until every node is up.
        let deadline = Date().addingTimeInterval(60)
        while !cluster.servers.allSatisfy({ fm.fileExists(atPath: "\(dir)/node-\($0.id).ready") }) {
            if let dead = children.firstIndex(where: { !$0.isRunning }) {
                stopAll()
                fail("node \(cluster.servers[dead].id) exited during start; see \(dir)/node-\(cluster.servers[dead].id).log")
            }
            if Date() > deadline {
                stopAll()
                fail("nodes did not come up within 60 s; see \(dir)/node-*.log")
            }
            usleep(20_000)
        }
        try fm.moveItem(atPath: startingFile, toPath: clusterFile)
        print("local cluster of \(nodes) nodes (\(transport)) ready: \(clusterFile)")
        fflush(nil)

        // Stay in the foreground until a signal; a node that dies is reported (the cluster
        // tolerates it), not restarted.
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        let stop = DispatchSemaphore(value: 0)
        let sources = [SIGTERM, SIGINT].map { sig in
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { stop.signal() }
            s.resume()
            return s
        }
        var reported = Set<Int>()
        while stop.wait(timeout: .now() + .milliseconds(200)) == .timedOut {
            for (i, c) in children.enumerated() where !c.isRunning && reported.insert(i).inserted {
                FileHandle.standardError.write(Data("replicast: node \(cluster.servers[i].id) exited (status \(c.terminationStatus))\n".utf8))
            }
        }
        stopAll()
        withExtendedLifetime(sources) {}
        print("local cluster stopped")
    }
}
