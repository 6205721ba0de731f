import ReplicastWire

/// The Distributed Hash Allocation Table: maps every Hash ID to a row naming its Negotiating
/// Group (designated and associate members) and the group's Multicast Address Set.
///
/// The table is a pure function of the membership list and the configuration, so every node
/// that holds the same membership computes the same table, whatever order it learnt the servers
/// in. The row count is fixed by the configuration; Hash IDs map to rows by the multiply-high
/// of their first 64 bits, so hash → row never changes. Members are chosen per row by
/// rendezvous hashing (see `RowSelector`): adding or removing one server changes only the rows
/// that contain that server, as long as the Table 2 group size and the set of zones stay the
/// same. When either changes, rows are re-chosen wholesale.
///
/// Each table carries a generation; `adding(_:)` and `removing(_:)` return the successor
/// table. Messages carry the sender's generation so a peer with an older table is detected.
public struct AllocationTable: Sendable {
    /// The parameters the table was built from.
    public let configuration: TableConfiguration
    /// The membership generation: one more for every membership change.
    public let generation: UInt32
    /// The storage servers, by ascending id.
    public let servers: [ServerInfo]
    /// Every row, indexed by `RowID.rawValue`.
    public let rows: [TableRow]
    /// Designated members per row: K × log10(N) per Table 2, clamped to
    /// [`configuration.minimumGroupSize`, N].
    public let designatedCount: Int
    /// Associate members per row: `configuration.associatesPerRow`, or fewer if the servers
    /// run out.
    public let associateCount: Int
    /// The Rendezvous Group pool of each network, in network order.
    public let rendezvousPools: [RendezvousGroupPool]

    private let serverIndex: [NodeID: Int]
    private let memberRows: [[RowID]]

    /// Builds the table of `servers` (in any order) under `configuration`.
    public init(
        servers: [ServerInfo], configuration: TableConfiguration = TableConfiguration(), generation: UInt32 = 0
    ) throws(TableError) {
        let plans = try configuration.validated()
        guard !servers.isEmpty else { throw .noServers }
        let sorted = servers.sorted { $0.id < $1.id }
        for (i, server) in sorted.enumerated() {
            guard !server.id.isClient else { throw .clientIDAsServer(server.id) }
            guard i == 0 || sorted[i - 1].id != server.id else { throw .duplicateServer(server.id) }
            guard server.endpoints.count == configuration.networks.count else {
                throw .endpointCountMismatch(
                    server: server.id, expected: configuration.networks.count, actual: server.endpoints.count)
            }
        }

        let zoneNames = Array(Set(sorted.map(\.zone))).sorted()
        var zoneNumber: [String: Int] = [:]
        for (i, name) in zoneNames.enumerated() { zoneNumber[name] = i }
        let designatedCount = Self.designatedGroupSize(
            servers: sorted.count, k: configuration.k, minimum: configuration.minimumGroupSize)
        let associateCount = min(configuration.associatesPerRow, sorted.count - designatedCount)

        let ids = sorted.map(\.id)
        var selector = RowSelector(
            ids: ids.map(\.rawValue), zoneOfServer: sorted.map { zoneNumber[$0.zone] ?? 0 },
            zoneCount: zoneNames.count, designatedCount: designatedCount, associateCount: associateCount)
        var rows: [TableRow] = []
        rows.reserveCapacity(Int(configuration.rowCount))
        var memberRows = Array(repeating: [RowID](), count: sorted.count)
        for r in 0..<configuration.rowCount {
            let selection = selector.select(row: r)
            let id = RowID(r)
            for server in selection.designated { memberRows[server].append(id) }
            for server in selection.associates { memberRows[server].append(id) }
            let addresses = MulticastAddressSet(
                negotiating: plans.map { $0.negotiating.group(at: r, port: configuration.port) },
                notification: plans.map { $0.notification.group(at: r, port: configuration.port) })
            rows.append(
                TableRow(
                    id: id, designated: selection.designated.map { ids[$0] },
                    associates: selection.associates.map { ids[$0] }, addresses: addresses))
        }

        var serverIndex: [NodeID: Int] = [:]
        for (i, server) in sorted.enumerated() { serverIndex[server.id] = i }

        self.configuration = configuration
        self.generation = generation
        self.servers = sorted
        self.rows = rows
        self.designatedCount = designatedCount
        self.associateCount = associateCount
        self.rendezvousPools = plans.map { RendezvousGroupPool(range: $0.rendezvous, port: configuration.port) }
        self.serverIndex = serverIndex
        self.memberRows = memberRows
    }

    /// The number of designated servers in a Negotiating Group of a cluster of `servers`
    /// members (Table 2): K × log10(N) rounded to the nearest integer, at least `minimum` and
    /// at most N. Zero for an empty cluster.
    public static func designatedGroupSize(servers: Int, k: Int, minimum: Int = 1) -> Int {
        guard servers > 0 else { return 0 }
        let table2 = (Double(max(k, 0)) * DecimalLogarithm.of(servers)).rounded()
        return Int(min(Double(servers), max(Double(minimum), table2)))
    }

    /// The number of rows.
    public var rowCount: UInt32 { configuration.rowCount }

    /// The row responsible for `hash`: the high 64 bits of prefix64 × rowCount.
    public func rowID(for hash: HashID) -> RowID {
        RowID(UInt32(truncatingIfNeeded: hash.prefix64.multipliedFullWidth(by: UInt64(rowCount)).high))
    }

    /// The row `id`, or nil if the table has no such row (e.g. a corrupt or foreign message).
    public func row(_ id: RowID) -> TableRow? {
        id.rawValue < rowCount ? rows[Int(id.rawValue)] : nil
    }

    /// The row responsible for `hash`.
    public func row(for hash: HashID) -> TableRow {
        rows[Int(rowID(for: hash).rawValue)]
    }

    /// The rows `server` is a member of (designated or associate), ascending; empty for a
    /// server not in the table.
    public func rows(containing server: NodeID) -> [RowID] {
        serverIndex[server].map { memberRows[$0] } ?? []
    }

    /// The membership entry of `id`, if it is a server of the table.
    public func server(_ id: NodeID) -> ServerInfo? {
        serverIndex[id].map { servers[$0] }
    }

    /// Whether a peer holding `peerGeneration` has an older table than this one; the node then
    /// tells it so (StaleGeneration). Generations compare as serial numbers (RFC 1982), so
    /// they may wrap. If the generations differ and the peer's is not stale, this table is.
    public func isStale(_ peerGeneration: UInt32) -> Bool {
        Int32(bitPattern: peerGeneration &- generation) < 0
    }

    /// The successor table with `server` added.
    public func adding(_ server: ServerInfo) throws(TableError) -> AllocationTable {
        try AllocationTable(servers: servers + [server], configuration: configuration, generation: generation &+ 1)
    }

    /// The successor table with the server `id` removed.
    public func removing(_ id: NodeID) throws(TableError) -> AllocationTable {
        guard let index = serverIndex[id] else { throw .unknownServer(id) }
        var remaining = servers
        remaining.remove(at: index)
        return try AllocationTable(servers: remaining, configuration: configuration, generation: generation &+ 1)
    }
}
