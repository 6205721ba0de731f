import ArgumentParser
import ReplicastCommandLine
import ReplicastRuntime
import ReplicastWire

/// Options every client subcommand takes.
struct ClientOptions: ParsableArguments {
    @Option(name: .long, help: "The cluster file written by local-cluster (or by hand).")
    var cluster: String

    @OptionGroup var transport: TransportOptions

    @Option(name: .long, help: "Consensus: client (the client chooses) or cluster (the servers choose).")
    var consensus: String = "client"

    @Option(name: .long, help: "Interface address to send and join groups on (default: the cluster file's).")
    var interface: String?

    @OptionGroup var log: LogOptions

    func consensusMode() -> ConsensusMode {
        switch consensus {
        case "client": return .client
        case "cluster": return .cluster
        default: fail("unknown consensus '\(consensus)' (use client or cluster)")
        }
    }

    /// Connects a client, or exits with a one-line reason.
    func connect() -> ReplicastClient {
        log.bootstrap(fallback: .warning)
        do {
            let config = try ClusterConfiguration.load(from: cluster)
            return try ReplicastClient(cluster: config, transport: transport.choice(), interface: interface)
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
