import ReplicastWire

/// A contiguous range of IPv4 multicast addresses, `count` addresses from `first`.
struct MulticastRange: Hashable, Sendable {
    /// The first address, host order.
    let first: UInt32
    /// How many addresses the range holds (at least one).
    let count: UInt32
    /// The configured base, for error messages.
    let base: String

    /// The lowest routable multicast address (224.0.0.0/24 is the local network control block).
    static let lowest: UInt32 = 0xE000_0100
    /// The highest multicast address, 239.255.255.255.
    static let highest: UInt32 = 0xEFFF_FFFF

    /// The range of `count` addresses starting at the dotted quad `base`.
    init(base: String, count: UInt32) throws(TableError) {
        guard let first = GroupAddress("\(base):0")?.ipv4 else { throw .invalidAddress(base) }
        guard count >= 1, first >= Self.lowest,
            UInt64(first) + UInt64(count) - 1 <= UInt64(Self.highest)
        else { throw .addressRangeNotMulticast(base) }
        self.first = first
        self.count = count
        self.base = base
    }

    /// The address at `offset` (< `count`) with `port`.
    func group(at offset: UInt32, port: UInt16) -> GroupAddress {
        let a = first + offset
        return GroupAddress(
            ipv4: UInt8(a >> 24), UInt8(a >> 16 & 0xFF), UInt8(a >> 8 & 0xFF), UInt8(a & 0xFF), port: port)
    }

    /// Whether the IPv4 address `address` (host order) lies in the range.
    func contains(_ address: UInt32) -> Bool {
        address >= first && UInt64(address) < UInt64(first) + UInt64(count)
    }

    /// Whether the two ranges share an address.
    func overlaps(_ other: MulticastRange) -> Bool {
        contains(other.first) || other.contains(first)
    }

    /// Throws if any two of `ranges` overlap.
    static func requireDisjoint(_ ranges: [MulticastRange]) throws(TableError) {
        for i in ranges.indices {
            for j in ranges.indices where j > i && ranges[i].overlaps(ranges[j]) {
                throw .overlappingAddressRanges(ranges[i].base, ranges[j].base)
            }
        }
    }
}
