import ReplicastTransport
import SystemPackage

extension TransportError {
    /// The failure of a system call made for `operation`, described by its `errno`.
    static func system(_ operation: String, errno code: Int32) -> TransportError {
        TransportError(operation, code: code, reason: Errno(rawValue: code).description)
    }

    /// An operation attempted on a closed transport.
    static func closed(_ operation: String) -> TransportError {
        TransportError(operation, reason: "the transport is closed", permanent: true)
    }
}
