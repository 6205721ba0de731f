import Logging
import ReplicastCore
import ReplicastRuntime
#if canImport(Glibc)
import Glibc
#endif

/// Which transport the end-to-end suites run over, from the environment.
///
/// By default: UDP multicast on loopback. With `REPLICAST_TRANSPORT=verbs` (set by
/// `Deploy/softroce.sh` inside its VM, together with `REPLICAST_SOFTROCE=1`): the verbs
/// transport on `REPLICAST_VERBS_DEVICE` (default `rxe0`), every node and client with its own
/// UD queue pair on that one device. The VM runs under TCG, about ten times slower than the
/// host, so data sizes shrink there (`bytes(_:)`); what each test checks does not change.
enum EndToEndEnvironment {
    static let transportName = environment("REPLICAST_TRANSPORT") ?? "udp"
    static let isVerbs = transportName == "verbs"
    static let verbsDevice = environment("REPLICAST_VERBS_DEVICE") ?? "rxe0"
    /// Inside the soft-RoCE VM (`Deploy/softroce.sh` sets REPLICAST_SOFTROCE=1): root, with
    /// rdma_rxe loaded, so a test may make rxe devices of its own.
    static let inSoftRoCE = environment("REPLICAST_SOFTROCE") == "1"

    /// The transport of every node and client of a `LocalTestCluster`.
    static let transport: TransportChoice = isVerbs ? .verbs(device: verbsDevice, gidIndex: nil) : .udp

    /// Command-line options that select the same transport for `replicast` and `replicast-node`.
    static let commandLineOptions: [String] = isVerbs ? ["--transport", "verbs", "--device", verbsDevice] : []

    /// Divides data sizes under verbs (soft-RoCE under TCG).
    static let sizeDivisor = isVerbs ? 4 : 1

    /// Bytes of test data: `count` on UDP, a quarter of it under verbs (never below one byte).
    static func bytes(_ count: Int) -> Int { max(1, count / sizeDivisor) }

    /// The chunk size objects are cut into in these tests, scaled like the data, so an object
    /// has the same number of chunks on either transport (1 MiB on UDP, 256 KiB under verbs).
    static let chunkSize = bytes(1 << 20)

    /// Log level of the nodes and clients of a `LocalTestCluster` (REPLICAST_TEST_LOG_LEVEL,
    /// default warning).
    static let logLevel = environment("REPLICAST_TEST_LOG_LEVEL").flatMap(Logger.Level.init(rawValue:)) ?? .warning

    /// A description for suite names and logs.
    static var description: String { isVerbs ? "verbs on \(verbsDevice)" : "UDP multicast on loopback" }

    private static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
    }
}
