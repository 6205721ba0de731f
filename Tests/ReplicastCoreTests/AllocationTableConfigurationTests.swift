import Foundation
import ReplicastCore
import ReplicastWire
import Testing

@Suite("Allocation table: configuration, membership list and validation")
struct AllocationTableConfigurationTests {
    @Test("configuration and servers round-trip through JSON")
    func codableRoundTrip() throws {
        let configuration = TableConfiguration(
            rowCount: 1_000, k: 4, minimumGroupSize: 4, associatesPerRow: 2,
            networks: [.primary], port: 9_999, rendezvousPoolSize: 4_096)
        let data = try JSONEncoder().encode(configuration)
        #expect(try JSONDecoder().decode(TableConfiguration.self, from: data) == configuration)

        let servers = TableFixture.servers(3, zones: 2, networks: 2)
        let encoded = try JSONEncoder().encode(servers)
        #expect(try JSONDecoder().decode([ServerInfo].self, from: encoded) == servers)
        let text = String(decoding: try JSONEncoder().encode(servers[0]), as: UTF8.self)
        #expect(text.contains("\"id\":1"))
    }

    @Test("absent configuration keys take the defaults")
    func decodingDefaults() throws {
        let empty = try JSONDecoder().decode(TableConfiguration.self, from: Data("{}".utf8))
        #expect(empty == TableConfiguration())
        let partial = try JSONDecoder().decode(
            TableConfiguration.self, from: Data(#"{"rowCount": 64, "port": 8000}"#.utf8))
        var expected = TableConfiguration()
        expected.rowCount = 64
        expected.port = 8000
        #expect(partial == expected)
    }

    @Test("the default configuration builds a table")
    func defaults() throws {
        let table = try AllocationTable(servers: TableFixture.servers(5, zones: 5))
        #expect(table.rowCount == 256)
        #expect(table.designatedCount == 3)
        #expect(table.generation == 0)
        #expect(table.rows.count == 256)
        #expect(table.rendezvousPools.count == 1)
        #expect(table.rows[0].addresses.negotiating == [GroupAddress("239.77.0.0:7077")!])
    }

    @Test("bad membership lists are typed errors")
    func badServers() {
        #expect(throws: TableError.noServers) { try AllocationTable(servers: []) }
        let client = ServerInfo(id: NodeID.firstClient, zone: "a", endpoints: ["x"])
        #expect(throws: TableError.clientIDAsServer(NodeID.firstClient)) {
            try AllocationTable(servers: TableFixture.servers(2, zones: 1) + [client])
        }
        let twin = ServerInfo(id: NodeID(2), zone: "b", endpoints: ["y"])
        #expect(throws: TableError.duplicateServer(NodeID(2))) {
            try AllocationTable(servers: TableFixture.servers(3, zones: 1) + [twin])
        }
        #expect(throws: TableError.endpointCountMismatch(server: NodeID(1), expected: 1, actual: 2)) {
            try AllocationTable(servers: TableFixture.servers(3, zones: 1, networks: 2))
        }
    }

    @Test("bad configurations are typed errors")
    func badConfigurations() {
        let servers = TableFixture.servers(4, zones: 2)
        func refuses(_ error: TableError, _ change: (inout TableConfiguration) -> Void) {
            var configuration = TableConfiguration()
            change(&configuration)
            #expect(throws: error) { try AllocationTable(servers: servers, configuration: configuration) }
        }
        refuses(.rowCountOutOfRange(0)) { $0.rowCount = 0 }
        refuses(.rowCountOutOfRange(65_537)) { $0.rowCount = 65_537 }
        refuses(.groupParameterOutOfRange(name: "k", value: 0)) { $0.k = 0 }
        refuses(.groupParameterOutOfRange(name: "minimumGroupSize", value: 0)) { $0.minimumGroupSize = 0 }
        refuses(.groupParameterOutOfRange(name: "associatesPerRow", value: -1)) { $0.associatesPerRow = -1 }
        refuses(.noNetworks) { $0.networks = [] }
        refuses(.rendezvousPoolSizeOutOfRange(0)) { $0.rendezvousPoolSize = 0 }
        refuses(.invalidAddress("239.77.0.x")) { $0.networks[0].negotiatingBase = "239.77.0.x" }
        refuses(.addressRangeNotMulticast("224.0.0.0")) { $0.networks[0].notificationBase = "224.0.0.0" }
        refuses(.addressRangeNotMulticast("239.255.255.1")) { $0.networks[0].negotiatingBase = "239.255.255.1" }
        refuses(.overlappingAddressRanges("239.77.0.0", "239.77.0.128")) {
            $0.networks[0].rendezvousBase = "239.77.0.128"
        }
        refuses(.overlappingAddressRanges("239.77.0.0", "239.77.0.0")) {
            $0.networks.append(.primary)
        }
    }
}
