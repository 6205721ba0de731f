import ArgumentParser
import Dispatch
import Foundation
import Logging
import ReplicastRuntime
import ReplicastWire

/// `replicast-node`: one storage server of a cluster described by a cluster file.
@main
struct ReplicastNodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replicast-node",
        abstract: "Run one Replicast storage node until SIGTERM or SIGINT.")

    @Option(name: .long, help: "The cluster file (YAML) that lists this node.")
    var cluster: String

    @Option(name: .long, help: "This node's server id in the cluster file.")
    var id: UInt32

    @Option(name: .long, help: "Transport: udp (default) or verbs.")
    var transport: String = "udp"

    @Option(name: .long, help: "Verbs device (e.g. rxe0); default: the first active one.")
    var device: String?

    @Option(name: .long, help: "Verbs GID index.")
    var gidIndex: Int?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    @Option(name: .long, help: "Pin the node's loop (its completion poller) to this CPU core.")
    var core: Int?

    @Option(name: .long, help: "Create this file once the node is up (for scripts).")
    var readyFile: String?

    func run() throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
        let choice = try TransportChoice(name: transport, device: device, gidIndex: gidIndex)
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
        if let readyFile { FileManager.default.createFile(atPath: readyFile, contents: Data("\(getpid())\n".utf8)) }
        node.run()
        withExtendedLifetime(sources) {}
    }
}
