/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, initial value and final XOR
/// 0xFFFFFFFF), computed in software with slicing-by-8 (and one slicing-by-4 step for a
/// 4-byte tail).
///
/// `CRC32C.checksum(of: "123456789")` is 0xE3069283.
public struct CRC32C: Sendable {
    /// The running (pre-inverted) register.
    private var register: UInt32 = 0xFFFF_FFFF

    public init() {}

    /// The checksum of everything passed to `update` so far.
    public var value: UInt32 { ~register }

    /// Feeds `bytes`.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        var crc = register
        var p = base
        var n = bytes.count
        let t = crc32cTables
        while n >= 8 {
            let lo = UInt32(littleEndian: p.loadUnaligned(as: UInt32.self)) ^ crc
            let hi = UInt32(littleEndian: (p + 4).loadUnaligned(as: UInt32.self))
            crc = t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
                ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
                ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
                ^ t[1 * 256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
            p += 8
            n -= 8
        }
        if n >= 4 {
            let x = UInt32(littleEndian: p.loadUnaligned(as: UInt32.self)) ^ crc
            crc = t[3 * 256 + Int(x & 0xFF)] ^ t[2 * 256 + Int((x >> 8) & 0xFF)]
                ^ t[1 * 256 + Int((x >> 16) & 0xFF)] ^ t[Int(x >> 24)]
            p += 4
            n -= 4
        }
        while n > 0 {
            crc = t[Int((crc ^ UInt32(p.load(as: UInt8.self))) & 0xFF)] ^ (crc >> 8)
            p += 1
            n -= 1
        }
        register = crc
    }

    /// Feeds `count` zero bytes (the zeroed checksum field), four at a time.
    public mutating func updateZeros(_ count: Int) {
        var crc = register
        var n = count
        let t = crc32cTables
        while n >= 4 {
            crc = t[3 * 256 + Int(crc & 0xFF)] ^ t[2 * 256 + Int((crc >> 8) & 0xFF)]
                ^ t[1 * 256 + Int((crc >> 16) & 0xFF)] ^ t[Int(crc >> 24)]
            n -= 4
        }
        while n > 0 {
            crc = t[Int(crc & 0xFF)] ^ (crc >> 8)
            n -= 1
        }
        register = crc
    }

    /// The checksum of `bytes`.
    public static func checksum(of bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc = CRC32C()
        crc.update(bytes)
        return crc.value
    }

    /// The checksum of a byte collection (tests, tools).
    public static func checksum(of bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum(of: $0) }
    }
}

/// The eight 256-entry slicing tables, table k at `k * 256`: table 0 is the classic
/// byte-at-a-time table, table k advances a byte through k further zero bytes. Built once,
/// never freed, never written after initialization.
nonisolated(unsafe) private let crc32cTables: UnsafePointer<UInt32> = {
    let t = UnsafeMutablePointer<UInt32>.allocate(capacity: 8 * 256)
    for i in 0..<256 {
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        t[i] = c
    }
    for i in 0..<256 {
        for k in 1..<8 {
            let prev = t[(k - 1) * 256 + i]
            t[k * 256 + i] = t[Int(prev & 0xFF)] ^ (prev >> 8)
        }
    }
    return UnsafePointer(t)
}()
