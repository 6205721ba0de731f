import ReplicastCore
import ReplicastWire

/// Membership lists and a seeded random source shared by the allocation table tests.
enum TableFixture {
    /// `count` servers with ids `firstID`, `firstID + 1`, …, spread round-robin over `zones`
    /// zones, each with one endpoint per network.
    static func servers(_ count: Int, zones: Int, firstID: UInt32 = 1, networks: Int = 1) -> [ServerInfo] {
        (0..<count).map { i in
            ServerInfo(
                id: NodeID(firstID + UInt32(i)), zone: "zone-\(i % zones)",
                endpoints: (0..<networks).map { "10.\($0).\(i / 256).\(i % 256):7077" })
        }
    }

    /// Every row of `table`, by id.
    static func rows(of table: AllocationTable) -> [TableRow] {
        (0..<table.rowCount).compactMap { table.row(RowID($0)) }
    }
}

/// A seeded SplitMix64 generator, so randomised tests are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
