import ReplicastWire

/// Hands out Rendezvous Group addresses for transactions from a range kept apart from every
/// row's Negotiating Group and notification addresses.
///
/// The address of a transaction is a pure function of its initiator and sequence number, so
/// no coordination is needed: each initiator starts at its own pseudo-random offset and walks
/// the range with its sequence numbers, so its own concurrent transactions never share a group
/// (up to `size` in flight). Two initiators can land on the same address; receivers tell their
/// transfers apart by request id, the group only saves them unwanted datagrams.
public struct RendezvousGroupPool: Hashable, Sendable {
    /// The largest accepted pool (a /12).
    public static let maximumSize: UInt32 = 1 << 20

    private let range: MulticastRange
    /// The UDP port of every group of the pool (the cluster's port).
    public let port: UInt16

    /// A pool of `size` addresses from the dotted quad `base`, e.g. `("239.78.0.0", 65_536)`.
    public init(base: String, size: UInt32, port: UInt16) throws(TableError) {
        guard size >= 1, size <= Self.maximumSize else { throw .rendezvousPoolSizeOutOfRange(size) }
        self.init(range: try MulticastRange(base: base, count: size), port: port)
    }

    init(range: MulticastRange, port: UInt16) {
        self.range = range
        self.port = port
    }

    /// Number of addresses in the pool.
    public var size: UInt32 { range.count }

    /// The Rendezvous Group of transaction `sequence` initiated by `client` (a client, or a
    /// server acting as one).
    public func group(client: NodeID, sequence: UInt32) -> GroupAddress {
        let start = UInt32(truncatingIfNeeded: RendezvousHash.mix(UInt64(client.rawValue)))
        return range.group(at: (start &+ sequence) % range.count, port: port)
    }

    /// Whether `group` is one of the pool's addresses (on the pool's port).
    public func contains(_ group: GroupAddress) -> Bool {
        guard group.port == port, let v4 = group.ipv4 else { return false }
        return range.contains(v4)
    }
}
