import ReplicastCore
import ReplicastWire

/// The one-row cluster the core's protocol tests run on: three servers, s1 to s3, each in a
/// zone of its own and each a designated member of the single row's Negotiating Group (so
/// every server is in every Negotiating Group), and the client c1.
enum OneRow {
    /// s1, s2, s3.
    static let servers = (1...3).map { NodeID(UInt32($0)) }
    /// c1.
    static let client = NodeID(NodeID.firstClient.rawValue + 1)
    /// The only row.
    static let row = RowID(0)

    /// The table of `servers`: one row, all three designated, zones z1 to z3.
    static func table() throws -> AllocationTable {
        try AllocationTable(
            servers: servers.map { ServerInfo(id: $0, zone: "z\($0.rawValue)", endpoints: ["e"]) },
            configuration: TableConfiguration(rowCount: 1, k: 3, minimumGroupSize: 3))
    }
}
