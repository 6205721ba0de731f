import ReplicastCore
import ReplicastWire
import Testing

@Suite("Allocation table: Negotiating Group size (Table 2)")
struct AllocationTableSizeTests {
    /// Table 2 of US 9,338,019: designated servers per Negotiating Group.
    static let table2: [(servers: Int, byK: [Int])] = [
        (100, [2, 4, 6, 8, 10]),
        (1_000, [3, 6, 9, 12, 15]),
        (10_000, [4, 8, 12, 16, 20]),
    ]

    @Test("K × log10(N) reproduces Table 2 for N = 100, 1,000, 10,000 and K = 1…5")
    func matchesTable2() {
        for (servers, byK) in Self.table2 {
            for (i, expected) in byK.enumerated() {
                #expect(
                    AllocationTable.designatedGroupSize(servers: servers, k: i + 1) == expected,
                    "N = \(servers), K = \(i + 1)")
            }
        }
    }

    @Test("size rounds K × log10(N) to the nearest integer between the steps")
    func roundsBetweenSteps() {
        // 3 × log10(31) = 4.474, 3 × log10(32) = 4.515; 5 × log10(2) = 1.505.
        #expect(AllocationTable.designatedGroupSize(servers: 31, k: 3) == 4)
        #expect(AllocationTable.designatedGroupSize(servers: 32, k: 3) == 5)
        #expect(AllocationTable.designatedGroupSize(servers: 2, k: 5) == 2)
        #expect(AllocationTable.designatedGroupSize(servers: 500, k: 2) == 5)  // 5.398
    }

    @Test("size is clamped to [minimum, N]")
    func clamped() {
        #expect(AllocationTable.designatedGroupSize(servers: 5, k: 3, minimum: 3) == 3)  // 2.097 → 3
        #expect(AllocationTable.designatedGroupSize(servers: 2, k: 3, minimum: 3) == 2)
        #expect(AllocationTable.designatedGroupSize(servers: 1, k: 5, minimum: 3) == 1)
        #expect(AllocationTable.designatedGroupSize(servers: 10, k: 64) == 10)
        #expect(AllocationTable.designatedGroupSize(servers: 0, k: 3) == 0)
        #expect(AllocationTable.designatedGroupSize(servers: 1_000, k: 2, minimum: 7) == 7)
    }

    @Test("size never shrinks as the cluster grows")
    func monotone() {
        for k in 1...5 {
            var previous = 0
            for servers in 1...10_000 {
                let size = AllocationTable.designatedGroupSize(servers: servers, k: k)
                #expect(size >= previous, "K = \(k), N = \(servers)")
                previous = size
            }
        }
    }

    @Test("every row holds exactly the designated and associate counts, all distinct")
    func rowsHaveConfiguredSizes() throws {
        let configuration = TableConfiguration(rowCount: 512, k: 2, minimumGroupSize: 3, associatesPerRow: 2)
        let table = try AllocationTable(servers: TableFixture.servers(40, zones: 4), configuration: configuration)
        #expect(table.designatedCount == 3)  // 2 × log10(40) = 3.2
        #expect(table.associateCount == 2)
        for row in TableFixture.rows(of: table) {
            #expect(row.designated.count == 3)
            #expect(row.associates.count == 2)
            #expect(Set(row.members).count == 5)
            #expect(row.members.allSatisfy { table.server($0) != nil })
        }
    }

    @Test("a cluster smaller than the group makes every server designated everywhere")
    func tinyCluster() throws {
        let configuration = TableConfiguration(rowCount: 16, associatesPerRow: 2)
        let table = try AllocationTable(servers: TableFixture.servers(2, zones: 1), configuration: configuration)
        #expect(table.designatedCount == 2)
        #expect(table.associateCount == 0)
        for row in TableFixture.rows(of: table) {
            #expect(Set(row.designated) == [NodeID(1), NodeID(2)])
            #expect(row.associates.isEmpty)
        }
    }
}
