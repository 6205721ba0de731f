import ReplicastCore
import ReplicastWire
import Testing

@Suite("Allocation table: Rendezvous Group pool")
struct AllocationTableRendezvousPoolTests {
    @Test("the pool never hands out a row's negotiating or notification address")
    func disjointFromRows() throws {
        let networks = [
            NetworkConfiguration.primary,
            NetworkConfiguration(
                negotiatingBase: "239.87.0.0", notificationBase: "239.89.0.0", rendezvousBase: "239.88.0.0"),
        ]
        let configuration = TableConfiguration(rowCount: 4_096, networks: networks, rendezvousPoolSize: 1_024)
        let table = try AllocationTable(
            servers: TableFixture.servers(6, zones: 2, networks: 2), configuration: configuration)
        var rowAddresses: Set<GroupAddress> = []
        for row in table.rows { rowAddresses.formUnion(row.addresses.negotiating + row.addresses.notification) }
        #expect(table.rendezvousPools.count == 2)

        var random = SeededGenerator(seed: 99)
        var handedOut: Set<GroupAddress> = []
        for pool in table.rendezvousPools {
            for _ in 0..<5_000 {
                let client = NodeID(UInt32.random(in: NodeID.firstClient.rawValue...UInt32.max, using: &random))
                let group = pool.group(client: client, sequence: UInt32.random(in: 0...UInt32.max, using: &random))
                #expect(!rowAddresses.contains(group))
                #expect(pool.contains(group))
                #expect(group.port == configuration.port)
                handedOut.insert(group)
            }
        }
        // 10,000 draws over 2 × 1,024 addresses reach nearly all of them.
        #expect(handedOut.count > 2_000)
        #expect(rowAddresses.allSatisfy { group in table.rendezvousPools.allSatisfy { !$0.contains(group) } })
    }

    @Test("a transaction's group is a pure function of client and sequence")
    func deterministic() throws {
        let a = try RendezvousGroupPool(base: "239.78.0.0", size: 65_536, port: 7077)
        let b = try RendezvousGroupPool(base: "239.78.0.0", size: 65_536, port: 7077)
        let client = NodeID(NodeID.firstClient.rawValue + 12)
        for sequence: UInt32 in [0, 1, 77, UInt32.max] {
            #expect(a.group(client: client, sequence: sequence) == b.group(client: client, sequence: sequence))
        }
        let starts = Set((0..<100).map { a.group(client: NodeID(NodeID.firstClient.rawValue + $0), sequence: 0) })
        #expect(starts.count > 95)  // clients start at scattered offsets
    }

    @Test("one client's consecutive transactions get distinct groups, up to the pool size")
    func consecutiveDistinct() throws {
        let pool = try RendezvousGroupPool(base: "239.78.1.0", size: 16, port: 7077)
        let client = NodeID(3)
        let groups = (UInt32(40)..<56).map { pool.group(client: client, sequence: $0) }
        #expect(Set(groups).count == 16)
        #expect(groups.allSatisfy(pool.contains))
        #expect(pool.group(client: client, sequence: 40) == pool.group(client: client, sequence: 56))
    }

    @Test("contains rejects other ports, other addresses and IPv6")
    func containsChecks() throws {
        let pool = try RendezvousGroupPool(base: "239.78.0.0", size: 256, port: 7077)
        #expect(pool.contains(GroupAddress("239.78.0.255:7077")!))
        #expect(!pool.contains(GroupAddress("239.78.1.0:7077")!))
        #expect(!pool.contains(GroupAddress("239.78.0.1:7078")!))
        #expect(!pool.contains(GroupAddress(address: (1, 2), port: 7077)))
    }

    @Test("bad pool parameters are typed errors")
    func badPools() {
        #expect(throws: TableError.invalidAddress("239.78.0")) {
            try RendezvousGroupPool(base: "239.78.0", size: 16, port: 1)
        }
        #expect(throws: TableError.addressRangeNotMulticast("10.0.0.1")) {
            try RendezvousGroupPool(base: "10.0.0.1", size: 16, port: 1)
        }
        #expect(throws: TableError.addressRangeNotMulticast("239.255.255.0")) {
            try RendezvousGroupPool(base: "239.255.255.0", size: 257, port: 1)
        }
        #expect(throws: TableError.rendezvousPoolSizeOutOfRange(0)) {
            try RendezvousGroupPool(base: "239.78.0.0", size: 0, port: 1)
        }
    }
}
