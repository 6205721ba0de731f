import ArgumentParser
import ReplicastRuntime

/// A `--transport` value. ArgumentParser rejects any other name and lists these in `--help`.
public enum TransportName: String, CaseIterable, ExpressibleByArgument, Sendable {
    /// The UDP fallback (the default).
    case udp
    /// InfiniBand / RoCE (an RDMA device, soft-RoCE's rxe included).
    case verbs

    /// The transport of this name with its verbs options (`TransportChoice(name:...)`); throws
    /// a `ValidationError` for verbs-only options with udp, or fewer than one send lane.
    public func choice(device: String?, gidIndex: Int?, sendLanes: Int? = nil) throws -> TransportChoice {
        do {
            return try TransportChoice(name: rawValue, device: device, gidIndex: gidIndex, sendLanes: sendLanes)
        } catch let error as ConfigurationError {
            throw ValidationError(error.description)
        }
    }
}

/// The transport options `replicast-node` and the `replicast` client commands share:
/// `--transport udp|verbs`, and for verbs `--device`, `--gid-index` and `--send-lanes`.
public struct TransportOptions: ParsableArguments {
    @Option(name: .long, help: "The transport (verbs: InfiniBand or RoCE, soft-RoCE included).")
    public var transport: TransportName = .udp

    @Option(name: .long, help: "Verbs device (e.g. rxe0); default: the first one with an active port.")
    public var device: String?

    @Option(name: .long, help: "Verbs GID index; default: the port's first RoCE v2 (IPv4) GID.")
    public var gidIndex: Int?

    @Option(name: .long, help: "Verbs send lanes: queue pairs, each posting from its own thread, that large sends are spread over (default 1; soft-RoCE does a send's work in the posting thread).")
    public var sendLanes: Int?

    public init() {}

    /// Rejects, while the command line is parsed, verbs-only options with udp and a send lane
    /// count below one.
    public func validate() throws {
        _ = try choice()
    }

    /// The transport these options name.
    public func choice() throws -> TransportChoice {
        try transport.choice(device: device, gidIndex: gidIndex, sendLanes: sendLanes)
    }
}
