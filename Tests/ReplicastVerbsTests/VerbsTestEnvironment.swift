import ReplicastVerbs
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Whether the verbs tests can and must run here.
///
/// On a machine without a verbs device they skip; inside the soft-RoCE VM
/// (`Deploy/softroce.sh`, which sets REPLICAST_SOFTROCE=1) they run, and fail if the
/// device is missing.
enum VerbsTestEnvironment {
    static let inSoftRoCE = getenv("REPLICAST_SOFTROCE").map { String(cString: $0) == "1" } ?? false
    static let deviceNames = VerbsTransport.deviceNames()
    static let hasDevice = !deviceNames.isEmpty
    static let shouldRun = hasDevice || inSoftRoCE
}
