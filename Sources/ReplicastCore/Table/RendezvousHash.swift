/// The rendezvous (highest-random-weight) score of a server for a table row.
///
/// The score is a bijection of (row, server id): a 64-bit word `row << 32 | id` passed twice
/// through the SplitMix64 finaliser. Being a bijection, no two servers ever tie within a row, so
/// the ranking of a row is a total order that depends only on the row and the server ids.
enum RendezvousHash {
    /// The weight of `server` in `row`; higher ranks first.
    @inline(__always)
    static func score(row: UInt32, server: UInt32) -> UInt64 {
        mix(mix((UInt64(row) &<< 32 | UInt64(server)) &+ 0x9E37_79B9_7F4A_7C15))
    }

    /// A deterministic 64-bit mix of `value` (the SplitMix64 finaliser, a bijection).
    /// Masking shifts keep it fast in unoptimised builds too (the generic `>>` is not inlined).
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z &>> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z &>> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z &>> 31)
    }
}
