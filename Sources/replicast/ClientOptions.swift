import ArgumentParser
import ReplicastCommandLine
import ReplicastRuntime
import ReplicastWire

/// `--cluster FILE`. Declared by the root command and, through `ClientOptions`, by every
/// client subcommand: ArgumentParser parses the root's options wherever they stand and hands
/// the subcommands the same value, so `replicast --cluster F put ...` and
/// `replicast put --cluster F ...` mean the same.
struct ClusterFileOption: ParsableArguments {
    @Option(name: .long, help: "The cluster file written by local-cluster (or by hand); required by put, get, locate and workload.")
    var cluster: String?
}

/// A `--consensus` value. ArgumentParser rejects any other name and lists these in `--help`.
enum ConsensusChoice: String, CaseIterable, ExpressibleByArgument {
    /// The client chooses from the servers' answers.
    case client
    /// The Negotiating Group's members choose, each evaluating every answer the same way.
    case cluster

    var mode: ConsensusMode {
        switch self {
        case .client: return .client
        case .cluster: return .cluster
        }
    }
}

/// Options every client subcommand takes.
struct ClientOptions: ParsableArguments {
    @OptionGroup var clusterFile: ClusterFileOption

    @OptionGroup var transport: TransportOptions

    @Option(name: .long, help: "Who chooses the servers: the client, or the cluster (the Negotiating Group's members).")
    var consensus: ConsensusChoice = .client

    @Option(name: .long, help: "Interface address to send and join groups on (default: the cluster file's).")
    var interface: String?

    @Option(name: .long, help: "This client's link rate in bits per second (e.g. 1Gbit, 10Gbit, 400Mbit): its reserved and unsolicited allocations are split from it. Default: the cluster file's link.rate, else the interface's speed.")
    var linkRate: String?

    @OptionGroup var log: LogOptions

    func validate() throws {
        guard clusterFile.cluster != nil else {
            throw ValidationError("missing --cluster FILE (the cluster file local-cluster writes)")
        }
        _ = try linkBitsPerSecond()
    }

    /// `--link-rate` in bits per second (nil when not given).
    func linkBitsPerSecond() throws -> UInt64? {
        guard let linkRate else { return nil }
        guard let bits = LinkRate.parse(linkRate) else {
            throw ValidationError("--link-rate: '\(linkRate)' is not a link rate (want bits per second, e.g. 1Gbit, 100Mbit, 2.5Gbit)")
        }
        return bits
    }

    var consensusMode: ConsensusMode { consensus.mode }

    /// Connects a client, or exits with a one-line reason.
    func connect() -> ReplicastClient {
        log.bootstrap(fallback: .warning)
        do {
            let config = try ClusterConfiguration.load(from: clusterFile.cluster ?? "")
            return try ReplicastClient(
                cluster: config, transport: transport.choice(), interface: interface, linkRate: linkBitsPerSecond())
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

/// Throws unless `value` (given as `--name`) is at least `minimum`.
func require(_ value: Int?, atLeast minimum: Int, _ name: String) throws {
    if let value, value < minimum { throw ValidationError("--\(name) must be at least \(minimum) (got \(value))") }
}
