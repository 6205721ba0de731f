import ArgumentParser
import Dispatch
import Foundation
import ReplicastCommandLine
import ReplicastRuntime
import ReplicastWire

/// `replicast-node`: one storage server of a cluster described by a cluster file.
@main
struct ReplicastNodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replicast-node",
        abstract: "Run one Replicast storage node until SIGTERM or SIGINT.",
        discussion: "Exits 0 when stopped by a signal, 3 when its transport failed for good (an RDMA device removed, say).")

    @Option(name: .long, help: "The cluster file (YAML) that lists this node.")
    var cluster: String

    @Option(name: .long, help: "This node's server id in the cluster file.")
    var id: UInt32

    @OptionGroup var transport: TransportOptions

    @OptionGroup var log: LogOptions

    @Option(name: .long, help: "Pin the node's loop (its completion poller) to this CPU core.")
    var core: Int?

    @Option(name: .long, help: "Create this file once the node is up (for scripts).")
    var readyFile: String?

    /// An error is one line: `replicast-node: error: REASON`.
    static func main() {
        mainReportingErrorsOnOneLine()
    }

    func run() throws {
        log.bootstrap(fallback: .info)
        let choice = try transport.choice()
        let config = try ClusterConfiguration.load(from: cluster)
        let node: StorageNode
        do {
            node = try StorageNode(id: NodeID(id), cluster: config, transport: choice)
        } catch {
            throw ValidationError("cannot start node \(id): \(error)")
        }
        node.pinnedCore = core
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        let sources = [SIGTERM, SIGINT].map { sig in
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { node.requestStop() }
            s.resume()
            return s
        }
        // The ready file holds the process id, so scripts and tests can signal this node.
        if let readyFile, !FileManager.default.createFile(atPath: readyFile, contents: Data("\(getpid())\n".utf8)) {
            throw ValidationError("cannot write the ready file \(readyFile)")
        }
        node.run()
        withExtendedLifetime(sources) {}
        if let failure = node.failure {
            FileHandle.standardError.write(Data("replicast-node: node \(id) stopped: its transport failed: \(failure)\n".utf8))
            throw ExitCode(3)
        }
    }
}
