@testable import ReplicastCore
import ReplicastWire
import Testing

@Suite("Allocation table: rows follow the greedy rendezvous definition")
struct AllocationTableSelectionTests {
    /// The definition, written plainly: rank every server by score; take designated members in
    /// rank order, skipping a server whose zone already holds ceil(designated / zones); if the
    /// row is still short, take the best skipped servers; associates are the best remaining.
    func referenceRow(_ row: UInt32, servers: [ServerInfo], designated g: Int, associates a: Int) -> ([NodeID], [NodeID]) {
        let zones = Set(servers.map(\.zone))
        let cap = (g + zones.count - 1) / zones.count
        let ranked = servers.sorted {
            RendezvousHash.score(row: row, server: $0.id.rawValue) > RendezvousHash.score(row: row, server: $1.id.rawValue)
        }
        var taken: [NodeID] = []
        var load: [String: Int] = [:]
        for server in ranked where taken.count < g && load[server.zone, default: 0] < cap {
            taken.append(server.id)
            load[server.zone, default: 0] += 1
        }
        let score = { (id: NodeID) in RendezvousHash.score(row: row, server: id.rawValue) }
        for server in ranked where taken.count < g && !taken.contains(server.id) {
            taken.append(server.id)
        }
        taken.sort { score($0) > score($1) }
        let rest = ranked.map(\.id).filter { !taken.contains($0) }
        return (taken, Array(rest.prefix(a)))
    }

    func expectMatchesReference(_ servers: [ServerInfo], k: Int, associates: Int) throws {
        let configuration = TableConfiguration(rowCount: 300, k: k, associatesPerRow: associates)
        let table = try AllocationTable(servers: servers, configuration: configuration)
        var mismatches: [RowID] = []
        for row in table.rows {
            let (designated, others) = referenceRow(
                row.id.rawValue, servers: servers, designated: table.designatedCount, associates: table.associateCount)
            if row.designated != designated || row.associates != others { mismatches.append(row.id) }
        }
        #expect(mismatches.isEmpty, "rows differing from the definition: \(mismatches)")
    }

    @Test("equal zones")
    func equalZones() throws {
        try expectMatchesReference(TableFixture.servers(40, zones: 4), k: 3, associates: 2)
    }

    @Test("lopsided zones, where the cap leaves rows short and skipped servers fill them")
    func lopsidedZones() throws {
        // Zones of 1, 2 and 27 servers: the cap is 2, so at most 1 + 2 + 2 = 5 servers fit
        // under it. 4 designated (3 × log10(30) = 4.4) fit; 6 (4 × log10(30) = 5.9) never do.
        var servers = TableFixture.servers(30, zones: 1)
        servers[3].zone = "small"
        servers[10].zone = "pair"
        servers[20].zone = "pair"
        try expectMatchesReference(servers, k: 3, associates: 3)
        try expectMatchesReference(servers, k: 4, associates: 1)
    }

    @Test("every server its own zone, and a single zone")
    func extremeZones() throws {
        try expectMatchesReference(TableFixture.servers(25, zones: 25), k: 3, associates: 2)
        try expectMatchesReference(TableFixture.servers(25, zones: 1), k: 3, associates: 2)
    }
}
