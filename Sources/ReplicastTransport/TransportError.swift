import ReplicastWire

/// A failure of a transport operation, with the system error where there is one.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    /// What was being done.
    public var operation: String
    /// `errno` (or a verbs return code) when the failure came from the system.
    public var code: Int32?
    /// A human-readable reason.
    public var reason: String
    /// Whether the transport can no longer be used at all (closed, its device removed, its
    /// address changed): every later call will fail too, so its owner closes it and stops
    /// rather than retrying.
    public var isPermanent: Bool

    public init(_ operation: String, code: Int32? = nil, reason: String, permanent: Bool = false) {
        self.operation = operation
        self.code = code
        self.reason = reason
        self.isPermanent = permanent
    }

    public var description: String {
        if let code { return "\(operation): \(reason) (errno \(code))" }
        return "\(operation): \(reason)"
    }
}
