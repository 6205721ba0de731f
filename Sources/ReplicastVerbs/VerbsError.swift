import ReplicastTransport
import SystemPackage

/// A failed verbs or rdma_cm call: what was called and the `errno` it left.
public struct VerbsError: Error, Sendable, CustomStringConvertible {
    /// The C call that failed, e.g. `ibv_create_cq`.
    public var operation: String
    /// The error number the call returned or left in `errno`.
    public var errno: Errno

    public init(_ operation: String, _ errno: Errno) {
        self.operation = operation
        self.errno = errno
    }

    /// An error from the calling thread's current `errno`.
    static func last(_ operation: String) -> VerbsError {
        VerbsError(operation, Errno.last)
    }

    /// An error from a call that returns the error number itself (0 on success).
    static func returned(_ operation: String, _ code: Int32) -> VerbsError {
        VerbsError(operation, Errno(rawValue: code))
    }

    public var description: String { "\(operation): \(errno) (errno \(errno.rawValue))" }

    /// The same failure as a transport error.
    public var transportError: TransportError {
        TransportError(operation, code: errno.rawValue, reason: "\(errno)")
    }
}

extension Errno {
    /// The calling thread's `errno`.
    static var last: Errno {
        #if canImport(Glibc)
        return Errno(rawValue: Glibc.errno)
        #elseif canImport(Musl)
        return Errno(rawValue: Musl.errno)
        #else
        return Errno(rawValue: 0)
        #endif
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
