import ArgumentParser
import ReplicastRuntime

/// The transport options `replicast-node` and the `replicast` client commands share:
/// `--transport udp|verbs`, and for verbs `--device`, `--gid-index` and `--send-lanes`.
public struct TransportOptions: ParsableArguments {
    @Option(name: .long, help: "Transport: udp (default) or verbs.")
    public var transport: String = "udp"

    @Option(name: .long, help: "Verbs device (e.g. rxe0); default: the first one with an active port.")
    public var device: String?

    @Option(name: .long, help: "Verbs GID index; default: the port's first RoCE v2 (IPv4) GID.")
    public var gidIndex: Int?

    @Option(name: .long, help: "Verbs send lanes: queue pairs, each posting from its own thread, that large sends are spread over (default 1; soft-RoCE does a send's work in the posting thread).")
    public var sendLanes: Int?

    public init() {}

    /// The transport these options name; throws for an unknown name or verbs-only options with udp.
    public func choice() throws -> TransportChoice {
        try TransportChoice(name: transport, device: device, gidIndex: gidIndex, sendLanes: sendLanes)
    }
}
