import ReplicastCore
import ReplicastWire
import Testing

@Suite("Allocation table: balance across servers and zones")
struct AllocationTableBalanceTests {
    /// Checks one table: per-server row counts (designated slots and all member slots) lie in
    /// [low, high] × their mean; per-zone designated slots lie within 3% of their mean; no row
    /// holds more than ceil(designated / zones) servers of one zone; leadership (being
    /// first-listed) is spread uniformly: its χ² over the servers stays within 5σ of N − 1.
    func checkBalance(servers: Int, zones: Int, rowCount: UInt32, associates: Int, low: Double, high: Double) throws {
        let configuration = TableConfiguration(rowCount: rowCount, k: 3, associatesPerRow: associates)
        let table = try AllocationTable(
            servers: TableFixture.servers(servers, zones: zones), configuration: configuration)
        let g = table.designatedCount
        let cap = (g + zones - 1) / zones

        var designatedSlots: [NodeID: Int] = [:]
        var leaderships: [NodeID: Int] = [:]
        var zoneSlots: [String: Int] = [:]
        for row in TableFixture.rows(of: table) {
            leaderships[row.designated[0], default: 0] += 1
            var perZone: [String: Int] = [:]
            for id in row.designated {
                designatedSlots[id, default: 0] += 1
                let zone = try #require(table.server(id)).zone
                perZone[zone, default: 0] += 1
                zoneSlots[zone, default: 0] += 1
            }
            #expect(perZone.values.allSatisfy { $0 <= cap }, "row \(row.id) exceeds the zone cap \(cap)")
        }

        let designatedMean = Double(Int(rowCount) * g) / Double(servers)
        let memberMean = Double(Int(rowCount) * (g + table.associateCount)) / Double(servers)
        let leaderMean = Double(rowCount) / Double(servers)
        var leaderChiSquare = 0.0
        for server in table.servers {
            let designated = Double(designatedSlots[server.id, default: 0])
            let members = Double(table.rows(containing: server.id).count)
            let leads = Double(leaderships[server.id, default: 0])
            #expect(designated >= low * designatedMean && designated <= high * designatedMean, "\(server.id)")
            #expect(members >= low * memberMean && members <= high * memberMean, "\(server.id)")
            leaderChiSquare += (leads - leaderMean) * (leads - leaderMean) / leaderMean
        }
        let degrees = Double(servers - 1)
        #expect(leaderChiSquare < degrees + 5 * (2 * degrees).squareRoot(), "leaders χ² = \(leaderChiSquare)")
        let zoneMean = Double(Int(rowCount) * g) / Double(zones)
        #expect(zoneSlots.count == zones)
        for (zone, slots) in zoneSlots {
            #expect(abs(Double(slots) - zoneMean) <= 0.03 * zoneMean, "\(zone): \(slots) vs \(zoneMean)")
        }
    }

    /// N = 100 in 5 zones, 2,048 rows, 6 designated + 1 associate: about 123 designated rows
    /// per server (σ ≈ 11); bound 0.6× … 1.4× the mean.
    @Test("100 servers: each within 0.6…1.4 × the mean row count, zones within 3%")
    func hundredServers() throws {
        try checkBalance(servers: 100, zones: 5, rowCount: 2_048, associates: 1, low: 0.6, high: 1.4)
    }

    /// N = 1,000 in 10 zones, 8,192 rows, 9 designated: about 74 designated rows per server
    /// (σ ≈ 8.6); bound 0.5× … 1.5× the mean.
    @Test("1,000 servers: each within 0.5…1.5 × the mean row count, zones within 3%")
    func thousandServers() throws {
        try checkBalance(servers: 1_000, zones: 10, rowCount: 8_192, associates: 0, low: 0.5, high: 1.5)
    }

    @Test("rows(containing:) lists exactly the rows a server is a member of")
    func rowsContainingAgreesWithRows() throws {
        let configuration = TableConfiguration(rowCount: 256, associatesPerRow: 1)
        let table = try AllocationTable(servers: TableFixture.servers(20, zones: 4), configuration: configuration)
        for server in table.servers {
            let expected = TableFixture.rows(of: table).filter { $0.isMember(server.id) }.map(\.id)
            #expect(table.rows(containing: server.id) == expected)
        }
        #expect(table.rows(containing: NodeID(999)).isEmpty)
    }
}
