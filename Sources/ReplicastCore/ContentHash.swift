import Crypto
import ReplicastWire

/// SHA-256 content and name hashing (the protocol's Content Hash ID and Name Hash ID).
public enum ContentHash {
    /// The SHA-256 of `bytes`.
    public static func of(_ bytes: UnsafeRawBufferPointer) -> HashID {
        let digest = SHA256.hash(data: bytes)
        return digest.withUnsafeBytes { HashID(bytes: $0)! }
    }

    /// The SHA-256 of a payload's bytes.
    public static func of(_ payload: Payload) -> HashID {
        payload.withUnsafeBytes { of($0) }
    }

    /// The SHA-256 of a byte array.
    public static func of(_ bytes: [UInt8]) -> HashID {
        bytes.withUnsafeBytes { of($0) }
    }

    /// The Name Hash ID of a UTF-8 name (object key or bucket name).
    public static func ofName(_ name: String) -> HashID {
        of(Array(name.utf8))
    }

    /// Whether `payload` hashes to `expected`.
    public static func verify(_ payload: Payload, matches expected: HashID) -> Bool {
        of(payload) == expected
    }
}
