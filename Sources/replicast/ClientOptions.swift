import ArgumentParser
import Logging
import ReplicastRuntime
import ReplicastWire

/// Options every client subcommand takes.
struct ClientOptions: ParsableArguments {
    @Option(name: .long, help: "The cluster file written by local-cluster (or by hand).")
    var cluster: String

    @Option(name: .long, help: "Transport: udp (default) or verbs.")
    var transport: String = "udp"

    @Option(name: .long, help: "Verbs device (e.g. rxe0).")
    var device: String?

    @Option(name: .long, help: "Verbs GID index.")
    var gidIndex: Int?

    @Option(name: .long, help: "Consensus: client (the client chooses) or cluster (the servers choose).")
    var consensus: String = "client"

    @Option(name: .long, help: "Interface address to send and join groups on (default: the cluster file's).")
    var interface: String?

    @Option(name: .long, help: "Log level.")
    var logLevel: String = "warning"

    func consensusMode() -> ConsensusMode {
        switch consensus {
        case "client": return .client
        case "cluster": return .cluster
        default: fail("unknown consensus '\(consensus)' (use client or cluster)")
        }
    }

    /// Connects a client, or exits with a one-line reason.
    func connect() -> ReplicastClient {
        let level = Logger.Level(rawValue: logLevel) ?? .warning
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
        do {
            let config = try ClusterConfiguration.load(from: cluster)
            let choice = try TransportChoice(name: transport, device: device, gidIndex: gidIndex)
            return try ReplicastClient(cluster: config, transport: choice, interface: interface)
        } catch {
            fail("\(error)")
        }
    }
}

/// Splits `BUCKET/KEY`.
func splitName(_ name: String) -> (String, String) {
    guard let slash = name.firstIndex(of: "/"), slash != name.startIndex, name.index(after: slash) != name.endIndex else {
        fail("name '\(name)' must be BUCKET/KEY")
    }
    return (String(name[..<slash]), String(name[name.index(after: slash)...]))
}
