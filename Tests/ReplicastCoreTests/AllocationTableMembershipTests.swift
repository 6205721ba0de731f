import ReplicastCore
import ReplicastWire
import Testing

@Suite("Allocation table: membership changes, generations and determinism")
struct AllocationTableMembershipTests {
    /// Checks that `after` differs from `before` only in rows where `server` is a member of
    /// `changedSide`, comparing every row; returns how many rows changed.
    @discardableResult
    func expectOnlyRowsWith(
        _ server: NodeID, changedIn changedSide: AllocationTable, before: AllocationTable, after: AllocationTable
    ) -> Int {
        #expect(before.rows.count == after.rows.count)
        var changed = 0
        var strays: [RowID] = []
        for (old, new) in zip(before.rows, after.rows) where old != new {
            changed += 1
            if old.id != new.id || old.addresses != new.addresses
                || !changedSide.rows[Int(old.id.rawValue)].isMember(server)
            {
                strays.append(old.id)
            }
        }
        #expect(strays.isEmpty, "rows changed without \(server): \(strays)")
        return changed
    }

    @Test("adding one server changes only the rows that now contain it")
    func addingIsLocal() throws {
        let configuration = TableConfiguration(rowCount: 2_048, k: 3, associatesPerRow: 1)
        let before = try AllocationTable(
            servers: TableFixture.servers(100, zones: 5), configuration: configuration, generation: 7)
        let newcomer = ServerInfo(id: NodeID(5_000), zone: "zone-2", endpoints: ["10.0.9.9:7077"])
        let after = try before.adding(newcomer)

        #expect(after.generation == 8)
        #expect(after.designatedCount == before.designatedCount)
        let changed = expectOnlyRowsWith(newcomer.id, changedIn: after, before: before, after: after)
        let joined = after.rows(containing: newcomer.id).count
        #expect(changed == joined)
        // The newcomer takes about its share, 2,048 × 7 / 101 ≈ 142 rows.
        #expect(joined > 70 && joined < 220)
    }

    @Test("removing one server changes only the rows that contained it")
    func removingIsLocal() throws {
        let configuration = TableConfiguration(rowCount: 2_048, k: 3, associatesPerRow: 1)
        let before = try AllocationTable(servers: TableFixture.servers(100, zones: 5), configuration: configuration)
        let leaving = NodeID(42)
        let after = try before.removing(leaving)

        #expect(after.generation == before.generation + 1)
        #expect(after.server(leaving) == nil)
        #expect(after.rows(containing: leaving).isEmpty)
        let changed = expectOnlyRowsWith(leaving, changedIn: before, before: before, after: after)
        #expect(changed == before.rows(containing: leaving).count)
    }

    @Test("random joins and departures within stable zones stay local, and match a fresh build")
    func randomChurn() throws {
        // 16…30 servers keep 3 × log10(N) at 4 designated; every zone keeps ≥ 2 servers.
        let configuration = TableConfiguration(rowCount: 512, k: 3, associatesPerRow: 2)
        var random = SeededGenerator(seed: 2024)
        var table = try AllocationTable(servers: TableFixture.servers(24, zones: 4), configuration: configuration)
        var nextID: UInt32 = 1_000
        for step in 0..<30 {
            let zoneSizes = Dictionary(grouping: table.servers, by: \.zone).mapValues(\.count)
            let removable = table.servers.filter { zoneSizes[$0.zone, default: 0] > 2 }
            let next: AllocationTable
            if table.servers.count < 30 && (table.servers.count <= 16 || Bool.random(using: &random)) {
                let zone = "zone-\(Int.random(in: 0..<4, using: &random))"
                let server = ServerInfo(id: NodeID(nextID), zone: zone, endpoints: ["10.1.0.\(nextID % 256):7077"])
                nextID += 1
                next = try table.adding(server)
                expectOnlyRowsWith(server.id, changedIn: next, before: table, after: next)
            } else {
                let leaving = try #require(removable.randomElement(using: &random)).id
                next = try table.removing(leaving)
                expectOnlyRowsWith(leaving, changedIn: table, before: table, after: next)
            }
            #expect(next.designatedCount == 4)
            if step % 3 == 0 {
                let fresh = try AllocationTable(
                    servers: next.servers.shuffled(using: &random), configuration: configuration,
                    generation: next.generation)
                #expect(fresh.rows == next.rows)
            }
            table = next
        }
    }

    @Test("the same membership in any order gives the same table")
    func deterministic() throws {
        let configuration = TableConfiguration(rowCount: 1_024, associatesPerRow: 1)
        let servers = TableFixture.servers(60, zones: 3)
        let reference = try AllocationTable(servers: servers, configuration: configuration)
        var random = SeededGenerator(seed: 7)
        for _ in 0..<3 {
            let other = try AllocationTable(servers: servers.shuffled(using: &random), configuration: configuration)
            #expect(other.rows == reference.rows)
            #expect(other.servers == reference.servers)
        }
        #expect(reference.servers.map(\.id) == servers.map(\.id).sorted())
    }

    @Test("rows depend on server ids, not on their endpoints")
    func endpointsDoNotMove() throws {
        let servers = TableFixture.servers(30, zones: 3)
        var renumbered = servers
        for i in renumbered.indices { renumbered[i].endpoints = ["192.168.5.\(i):9000"] }
        let a = try AllocationTable(servers: servers)
        let b = try AllocationTable(servers: renumbered)
        #expect(a.rows == b.rows)
    }

    @Test("a peer with an older generation is stale, wrapping included")
    func staleGenerations() throws {
        let table = try AllocationTable(servers: TableFixture.servers(5, zones: 1), generation: 5)
        #expect(table.isStale(4))
        #expect(table.isStale(0))
        #expect(!table.isStale(5))
        #expect(!table.isStale(6))
        let wrapped = try AllocationTable(servers: TableFixture.servers(5, zones: 1), generation: UInt32.max)
        let successor = try wrapped.adding(ServerInfo(id: NodeID(77), zone: "zone-0", endpoints: ["x"]))
        #expect(successor.generation == 0)
        #expect(successor.isStale(UInt32.max))
        #expect(!wrapped.isStale(0))
    }

    @Test("membership changes that cannot apply are refused with typed errors")
    func refusedChanges() throws {
        let table = try AllocationTable(servers: TableFixture.servers(3, zones: 1))
        #expect(throws: TableError.unknownServer(NodeID(9))) { try table.removing(NodeID(9)) }
        #expect(throws: TableError.duplicateServer(NodeID(2))) {
            try table.adding(ServerInfo(id: NodeID(2), zone: "zone-0", endpoints: ["x"]))
        }
        #expect(throws: TableError.endpointCountMismatch(server: NodeID(4), expected: 1, actual: 0)) {
            try table.adding(ServerInfo(id: NodeID(4), zone: "zone-0", endpoints: []))
        }
        let single = try AllocationTable(servers: TableFixture.servers(1, zones: 1))
        #expect(throws: TableError.noServers) { try single.removing(NodeID(1)) }
    }
}
