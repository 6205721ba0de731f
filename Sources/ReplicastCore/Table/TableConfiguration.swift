/// The parameters a Distributed Hash Allocation Table is built from, shared by every node.
///
/// Decoding fills absent keys with the defaults, so a configuration file lists only what differs.
public struct TableConfiguration: Hashable, Sendable, Codable {
    /// Number of rows (Negotiating Groups). Fixed for the life of the cluster: hash → row never
    /// changes, and a membership change only touches the rows of the server concerned.
    /// Size it for the largest cluster expected (rows per server ≈ rowCount × group size / N).
    public var rowCount: UInt32
    /// K of Table 2: designated members per row ≈ K × log10(N).
    public var k: Int
    /// Lower bound on designated members per row (at least the replication count).
    public var minimumGroupSize: Int
    /// Non-designated members per row: they receive proposals and gets but their copies do not
    /// count towards the replication count.
    public var associatesPerRow: Int
    /// One address plan per network, in network order (the order of `ServerInfo.endpoints`).
    public var networks: [NetworkConfiguration]
    /// The UDP port every group of the cluster uses.
    public var port: UInt16
    /// Number of Rendezvous Group addresses per network.
    public var rendezvousPoolSize: UInt32

    /// The largest accepted `rowCount`.
    public static let maximumRowCount: UInt32 = 65_536
    /// The accepted range of `k`.
    public static let kRange = 1...64
    /// The accepted range of `minimumGroupSize`.
    public static let minimumGroupSizeRange = 1...255
    /// The accepted range of `associatesPerRow`.
    public static let associatesRange = 0...255

    public init(
        rowCount: UInt32 = 256, k: Int = 3, minimumGroupSize: Int = 3, associatesPerRow: Int = 0,
        networks: [NetworkConfiguration] = [.primary], port: UInt16 = 7077,
        rendezvousPoolSize: UInt32 = 65_536
    ) {
        self.rowCount = rowCount
        self.k = k
        self.minimumGroupSize = minimumGroupSize
        self.associatesPerRow = associatesPerRow
        self.networks = networks
        self.port = port
        self.rendezvousPoolSize = rendezvousPoolSize
    }

    private enum CodingKeys: String, CodingKey {
        case rowCount, k, minimumGroupSize, associatesPerRow, networks, port, rendezvousPoolSize
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TableConfiguration()
        self.rowCount = try c.decodeIfPresent(UInt32.self, forKey: .rowCount) ?? d.rowCount
        self.k = try c.decodeIfPresent(Int.self, forKey: .k) ?? d.k
        self.minimumGroupSize = try c.decodeIfPresent(Int.self, forKey: .minimumGroupSize) ?? d.minimumGroupSize
        self.associatesPerRow = try c.decodeIfPresent(Int.self, forKey: .associatesPerRow) ?? d.associatesPerRow
        self.networks = try c.decodeIfPresent([NetworkConfiguration].self, forKey: .networks) ?? d.networks
        self.port = try c.decodeIfPresent(UInt16.self, forKey: .port) ?? d.port
        self.rendezvousPoolSize =
            try c.decodeIfPresent(UInt32.self, forKey: .rendezvousPoolSize) ?? d.rendezvousPoolSize
    }

    /// The address ranges of one network.
    struct NetworkRanges {
        var negotiating: MulticastRange
        var notification: MulticastRange
        var rendezvous: MulticastRange
    }

    /// Checks every parameter and returns the address ranges of each network.
    func validated() throws(TableError) -> [NetworkRanges] {
        guard rowCount >= 1, rowCount <= Self.maximumRowCount else { throw .rowCountOutOfRange(rowCount) }
        guard Self.kRange.contains(k) else { throw .groupParameterOutOfRange(name: "k", value: k) }
        guard Self.minimumGroupSizeRange.contains(minimumGroupSize) else {
            throw .groupParameterOutOfRange(name: "minimumGroupSize", value: minimumGroupSize)
        }
        guard Self.associatesRange.contains(associatesPerRow) else {
            throw .groupParameterOutOfRange(name: "associatesPerRow", value: associatesPerRow)
        }
        guard !networks.isEmpty else { throw .noNetworks }
        guard rendezvousPoolSize >= 1, rendezvousPoolSize <= RendezvousGroupPool.maximumSize else {
            throw .rendezvousPoolSizeOutOfRange(rendezvousPoolSize)
        }
        var plans: [NetworkRanges] = []
        for network in networks {
            plans.append(
                NetworkRanges(
                    negotiating: try MulticastRange(base: network.negotiatingBase, count: rowCount),
                    notification: try MulticastRange(base: network.notificationBase, count: rowCount),
                    rendezvous: try MulticastRange(base: network.rendezvousBase, count: rendezvousPoolSize)))
        }
        try MulticastRange.requireDisjoint(plans.flatMap { [$0.negotiating, $0.notification, $0.rendezvous] })
        return plans
    }
}
