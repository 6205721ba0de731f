import ReplicastWire

/// The root chunk of an object version: the named chunk (bucket / key / version) that lists
/// the object's payload chunks in order. Stored and fetched like any chunk.
///
/// Layout (big-endian): magic "RCVM", format version (1 byte), object size (8), chunk count
/// (4), then per chunk its content hash (32) and length (4), then the UTF-8 bucket and key
/// each as length (2) + bytes.
public struct VersionManifest: Sendable, Equatable {
    /// One payload chunk of the object.
    public struct ChunkReference: Sendable, Equatable {
        public var contentHash: HashID
        public var length: UInt32
        public init(contentHash: HashID, length: UInt32) {
            self.contentHash = contentHash
            self.length = length
        }
    }

    public var bucket: String
    public var key: String
    public var size: UInt64
    public var chunks: [ChunkReference]

    /// Hard cap on chunks per manifest, so decoding bounds its allocation.
    public static let maxChunks = 1 << 20

    public init(bucket: String, key: String, size: UInt64, chunks: [ChunkReference]) {
        self.bucket = bucket
        self.key = key
        self.size = size
        self.chunks = chunks
    }

    /// The chunk name under which this manifest is stored for `version`.
    public func name(version: UInt64) -> ChunkName {
        ChunkName(bucket: ContentHash.ofName(bucket), name: ContentHash.ofName(key), version: version)
    }

    private static let magic: [UInt8] = Array("RCVM".utf8)

    /// The encoded bytes.
    public func encoded() -> [UInt8] {
        var out = VersionManifest.magic
        out.append(1)
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.bigEndian) { out.append(contentsOf: $0) } }
        put(size)
        put(UInt32(chunks.count))
        for c in chunks {
            out.append(contentsOf: c.contentHash.bytes)
            put(c.length)
        }
        for s in [bucket, key] {
            let utf8 = Array(s.utf8.prefix(Int(UInt16.max)))
            put(UInt16(utf8.count))
            out.append(contentsOf: utf8)
        }
        return out
    }

    /// Why manifest bytes were rejected.
    public enum DecodeError: Error, Equatable, CustomStringConvertible {
        case notAManifest
        case unsupportedVersion(UInt8)
        case truncated
        case inconsistentSize

        public var description: String {
            switch self {
            case .notAManifest: return "not a version manifest"
            case .unsupportedVersion(let v): return "unsupported manifest version \(v)"
            case .truncated: return "truncated version manifest"
            case .inconsistentSize: return "manifest chunk lengths do not add up to the object size"
            }
        }
    }

    /// Decodes manifest bytes, checking every length against what is there.
    public init(decoding bytes: [UInt8]) throws(DecodeError) {
        var at = 0
        func take(_ n: Int) throws(DecodeError) -> ArraySlice<UInt8> {
            guard n >= 0, bytes.count - at >= n else { throw .truncated }
            defer { at += n }
            return bytes[at..<(at + n)]
        }
        func int<T: FixedWidthInteger>(_: T.Type) throws(DecodeError) -> T {
            try take(MemoryLayout<T>.size).reduce(T(0)) { $0 << 8 | T($1) }
        }
        guard bytes.count >= 5, Array(bytes[0..<4]) == VersionManifest.magic else { throw .notAManifest }
        at = 4
        let version = try int(UInt8.self)
        guard version == 1 else { throw .unsupportedVersion(version) }
        size = try int(UInt64.self)
        let count = Int(try int(UInt32.self))
        guard count <= VersionManifest.maxChunks, count * 36 <= bytes.count - at else { throw .truncated }
        var chunks: [ChunkReference] = []
        chunks.reserveCapacity(count)
        var total: UInt64 = 0
        for _ in 0..<count {
            let hash = HashID(bytes: try take(32))!
            let length = try int(UInt32.self)
            total += UInt64(length)
            chunks.append(ChunkReference(contentHash: hash, length: length))
        }
        guard total == size else { throw .inconsistentSize }
        self.chunks = chunks
        let b = try take(Int(try int(UInt16.self)))
        bucket = String(decoding: b, as: UTF8.self)
        let k = try take(Int(try int(UInt16.self)))
        key = String(decoding: k, as: UTF8.self)
    }
}
