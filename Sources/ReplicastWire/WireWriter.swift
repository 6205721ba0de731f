/// Appends big-endian fields to a growing byte array: the metadata encoder.
struct WireWriter {
    private(set) var bytes: [UInt8]

    init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    mutating func u8(_ v: UInt8) { bytes.append(v) }

    mutating func u16(_ v: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
        bytes.append(UInt8(truncatingIfNeeded: v))
    }

    mutating func u32(_ v: UInt32) {
        u16(UInt16(truncatingIfNeeded: v >> 16))
        u16(UInt16(truncatingIfNeeded: v))
    }

    mutating func u64(_ v: UInt64) {
        u32(UInt32(truncatingIfNeeded: v >> 32))
        u32(UInt32(truncatingIfNeeded: v))
    }
}

/// Reads big-endian fields from a bounded byte range: the metadata decoder. Every read checks
/// the bounds and throws `.truncated` instead of reading past the end.
struct WireReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var position = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Bytes not read yet.
    var remaining: Int { bytes.count - position }

    private mutating func advance(_ n: Int) throws(WireError) -> Int {
        guard remaining >= n else { throw .truncated }
        defer { position += n }
        return position
    }

    mutating func u8() throws(WireError) -> UInt8 {
        bytes[try advance(1)]
    }

    mutating func u16() throws(WireError) -> UInt16 {
        UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: try advance(2), as: UInt16.self))
    }

    mutating func u32() throws(WireError) -> UInt32 {
        UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: try advance(4), as: UInt32.self))
    }

    mutating func u64() throws(WireError) -> UInt64 {
        UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: try advance(8), as: UInt64.self))
    }

    /// Throws `.trailingMetadata` unless every byte was read.
    func finish() throws(WireError) {
        guard remaining == 0 else { throw .trailingMetadata }
    }
}
