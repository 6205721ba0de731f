/// A port GID: 16 bytes, held as two big-endian words like `Endpoint.address`, so a GID
/// converts to and from an endpoint address without reordering.
public struct GID: Hashable, Sendable, CustomStringConvertible {
    /// Bytes 0-7 and 8-15, each read big-endian.
    public var words: (UInt64, UInt64)

    public init(words: (UInt64, UInt64)) {
        self.words = words
    }

    /// The IPv4-mapped GID `::ffff:a.b.c.d` of a host-order IPv4 address (RoCE v2 over IPv4).
    public init(ipv4: UInt32) {
        self.words = (0, 0x0000_FFFF_0000_0000 | UInt64(ipv4))
    }

    /// Reads 16 bytes in network order.
    public init(bytes: UnsafeRawPointer) {
        self.words = (
            UInt64(bigEndian: bytes.loadUnaligned(as: UInt64.self)),
            UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        )
    }

    /// Writes the 16 bytes in network order.
    public func store(to bytes: UnsafeMutableRawPointer) {
        bytes.storeBytes(of: words.0.bigEndian, as: UInt64.self)
        bytes.storeBytes(of: words.1.bigEndian, toByteOffset: 8, as: UInt64.self)
    }

    /// The IPv4 address (host order) of an IPv4-mapped GID.
    public var ipv4: UInt32? {
        guard words.0 == 0, words.1 >> 32 == 0x0000_FFFF else { return nil }
        return UInt32(truncatingIfNeeded: words.1)
    }

    /// True for the all-zero GID (an unused table entry).
    public var isZero: Bool { words.0 == 0 && words.1 == 0 }

    public var description: String {
        if let v4 = ipv4 {
            return "::ffff:\(v4 >> 24).\(v4 >> 16 & 0xFF).\(v4 >> 8 & 0xFF).\(v4 & 0xFF)"
        }
        let hex = [words.0 >> 48, words.0 >> 32, words.0 >> 16, words.0, words.1 >> 48, words.1 >> 32, words.1 >> 16, words.1]
            .map { String($0 & 0xFFFF, radix: 16) }
        return hex.joined(separator: ":")
    }

    public static func == (a: GID, b: GID) -> Bool { a.words.0 == b.words.0 && a.words.1 == b.words.1 }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
    }
}
