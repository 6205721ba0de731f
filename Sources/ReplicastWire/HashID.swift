/// A 256-bit identifier: the SHA-256 of a chunk's content (Content Hash ID) or of an
/// object's name (Name Hash ID, Bucket Hash ID).
///
/// Stored as four big-endian 64-bit words so that comparison, hashing and row mapping are
/// cheap; `bytes` gives the 32 bytes in wire order.
public struct HashID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The 32 bytes as four 64-bit words, most significant word first.
    public var words: (UInt64, UInt64, UInt64, UInt64)

    /// The all-zero identifier.
    public static let zero = HashID(words: (0, 0, 0, 0))

    /// Number of bytes on the wire.
    public static let byteCount = 32

    public init(words: (UInt64, UInt64, UInt64, UInt64)) {
        self.words = words
    }

    /// Builds an identifier from exactly 32 bytes in wire (big-endian) order.
    public init?<C: Collection>(bytes: C) where C.Element == UInt8 {
        guard bytes.count == HashID.byteCount else { return nil }
        var w: [UInt64] = [0, 0, 0, 0]
        for (i, b) in bytes.enumerated() {
            w[i / 8] = (w[i / 8] << 8) | UInt64(b)
        }
        self.words = (w[0], w[1], w[2], w[3])
    }

    /// The 32 bytes in wire (big-endian) order.
    public var bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(32)
        for word in [words.0, words.1, words.2, words.3] {
            for shift in stride(from: 56, through: 0, by: -8) {
                out.append(UInt8(truncatingIfNeeded: word >> UInt64(shift)))
            }
        }
        return out
    }

    /// The most significant 64 bits, used to map an identifier to a table row.
    public var prefix64: UInt64 { words.0 }

    /// Lower-case hexadecimal, 64 characters.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var s = [UInt8]()
        s.reserveCapacity(64)
        for b in bytes {
            s.append(digits[Int(b >> 4)])
            s.append(digits[Int(b & 0xF)])
        }
        return String(decoding: s, as: UTF8.self)
    }

    /// Parses 64 hexadecimal characters.
    public init?(hex: String) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 64 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            case 65...70: return c - 55
            default: return nil
            }
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity(32)
        var i = 0
        while i < 64 {
            guard let hi = nibble(utf8[i]), let lo = nibble(utf8[i + 1]) else { return nil }
            bytes.append(hi << 4 | lo)
            i += 2
        }
        self.init(bytes: bytes)
    }

    public var description: String { String(hex.prefix(16)) }

    public static func == (a: HashID, b: HashID) -> Bool {
        a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2
            && a.words.3 == b.words.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }

    public static func < (a: HashID, b: HashID) -> Bool {
        (a.words.0, a.words.1, a.words.2, a.words.3) < (b.words.0, b.words.1, b.words.2, b.words.3)
    }
}
