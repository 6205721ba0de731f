import ReplicastCore
import ReplicastWire
import Testing

@Suite("Allocation table: hash → row mapping and row addresses")
struct AllocationTableMappingTests {
    func hash(prefix: UInt64) -> HashID { HashID(words: (prefix, 0xFFFF, 0, 1)) }

    @Test("rows are the multiply-high of the first 64 bits")
    func multiplyHigh() throws {
        let table = try AllocationTable(servers: TableFixture.servers(10, zones: 2))  // 256 rows
        #expect(table.rowID(for: hash(prefix: 0)) == RowID(0))
        #expect(table.rowID(for: hash(prefix: UInt64.max)) == RowID(255))
        #expect(table.rowID(for: hash(prefix: 1 << 63)) == RowID(128))
        #expect(table.rowID(for: hash(prefix: (1 << 56) - 1)) == RowID(0))
        #expect(table.rowID(for: hash(prefix: 1 << 56)) == RowID(1))
        let h = ContentHash.ofName("bucket/object")
        #expect(table.row(for: h) == table.row(table.rowID(for: h)))
    }

    @Test("SHA-256 names spread evenly over the rows (chi-square)")
    func uniform() throws {
        let configuration = TableConfiguration(rowCount: 256)
        let table = try AllocationTable(servers: TableFixture.servers(10, zones: 2), configuration: configuration)
        let samples = 32_768
        var counts = Array(repeating: 0, count: 256)
        for i in 0..<samples {
            counts[Int(table.rowID(for: ContentHash.ofName("object-\(i)")).rawValue)] += 1
        }
        let expected = Double(samples) / 256
        let chiSquare = counts.reduce(0.0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
        // 255 degrees of freedom: mean 255, standard deviation √510 ≈ 22.6; allow 5σ.
        #expect(chiSquare < 255 + 5 * 22.6, "χ² = \(chiSquare)")
        #expect(counts.allSatisfy { $0 > 0 })
    }

    @Test("an unknown row id yields nil, not a crash")
    func unknownRow() throws {
        let table = try AllocationTable(servers: TableFixture.servers(3, zones: 1))
        #expect(table.row(RowID(table.rowCount)) == nil)
        #expect(table.row(RowID(UInt32.max)) == nil)
        #expect(table.row(RowID(table.rowCount - 1)) != nil)
    }

    @Test("each row has one negotiating and one notification address per network, all distinct")
    func multicastAddressSets() throws {
        let networks = [
            NetworkConfiguration.primary,
            NetworkConfiguration(
                negotiatingBase: "239.87.0.0", notificationBase: "239.89.0.0", rendezvousBase: "239.88.0.0"),
        ]
        let configuration = TableConfiguration(rowCount: 300, networks: networks, port: 9_123)
        let table = try AllocationTable(
            servers: TableFixture.servers(8, zones: 2, networks: 2), configuration: configuration)
        var seen: Set<GroupAddress> = []
        for row in TableFixture.rows(of: table) {
            #expect(row.addresses.negotiating.count == 2)
            #expect(row.addresses.notification.count == 2)
            let r = row.id.rawValue
            #expect(row.addresses.negotiating[0] == GroupAddress("239.77.\(r >> 8).\(r & 0xFF):9123"))
            #expect(row.addresses.negotiating[1] == GroupAddress("239.87.\(r >> 8).\(r & 0xFF):9123"))
            #expect(row.addresses.notification[0] == GroupAddress("239.79.\(r >> 8).\(r & 0xFF):9123"))
            #expect(row.addresses.notification[1] == GroupAddress("239.89.\(r >> 8).\(r & 0xFF):9123"))
            seen.formUnion(row.addresses.negotiating + row.addresses.notification)
        }
        #expect(seen.count == 4 * 300)
    }
}
