import Foundation
import ReplicastCore
import ReplicastRuntime
import ReplicastTransport
import ReplicastWire
import Testing

/// The example cluster files under `Deploy/examples`: each one loads with the loader every
/// node and client uses, builds its allocation table, and fits the other deployment files
/// (the systemd unit's data directory, the sysctl file's multicast membership limit).
@Suite struct DeployExampleTests {
    /// The repository's root, found from this file's path.
    static let root: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/ReplicastEndToEndTests/DeployExampleTests.swift
        return parts.joined(separator: "/")
    }()

    /// Every `*.yaml` under Deploy/examples, by name.
    static let examples: [String] = {
        let dir = root + "/Deploy/examples"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted()
    }()

    /// `net.ipv4.igmp_max_memberships` as Deploy/sysctl/90-replicast.conf sets it.
    static func membershipLimit() throws -> Int {
        let text = try String(contentsOfFile: root + "/Deploy/sysctl/90-replicast.conf", encoding: .utf8)
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, parts[0] == "net.ipv4.igmp_max_memberships", let value = Int(parts[1]) {
                return value
            }
        }
        throw ConfigurationError("net.ipv4.igmp_max_memberships not set in Deploy/sysctl/90-replicast.conf")
    }

    @Test func thereAreExamples() {
        #expect(Self.examples.contains("rack-12.yaml"), "examples found: \(Self.examples)")
    }

    @Test(arguments: examples)
    func exampleLoadsAndBuildsItsTable(_ name: String) throws {
        let cluster = try ClusterConfiguration.load(from: Self.root + "/Deploy/examples/" + name)
        let table = try cluster.allocationTable()
        #expect(table.generation == cluster.generation)
        #expect(table.servers.count == cluster.servers.count)

        // A rack's traffic leaves the machine: TTL 0 would keep it on each host.
        #expect(cluster.multicastTTL >= 1)
        #expect(Endpoint(cluster.interface + ":1") != nil, "interface \(cluster.interface) is not an IPv4 address")

        // Every node can start: a valid, distinct unicast endpoint off the groups' port, and a
        // data directory the systemd unit makes writable (StateDirectory=replicast/node-%i).
        var endpoints = Set<String>()
        for server in cluster.servers {
            let endpoint = try #require(Endpoint(server.endpoint), "server \(server.id): endpoint \(server.endpoint)")
            #expect(endpoint.selector != UInt32(cluster.table.port), "server \(server.id) uses the groups' port")
            #expect(endpoints.insert(server.endpoint).inserted, "endpoint \(server.endpoint) listed twice")
            #expect(server.dataDirectory == "/var/lib/replicast/node-\(server.id)")
            #expect(!table.rows(containing: NodeID(server.id)).isEmpty, "server \(server.id) is in no row")
        }

        // The replicas fit in a row, and can be spread over distinct zones.
        #expect(cluster.replicas <= table.designatedCount + table.associateCount)
        #expect(Set(cluster.servers.map(\.zone)).count >= cluster.replicas)

        // The Negotiating Groups the busiest node joins leave at least half of the
        // per-socket membership limit to Rendezvous Groups of transactions in flight.
        let limit = try Self.membershipLimit()
        let busiest = cluster.servers.map { table.rows(containing: NodeID($0.id)).count }.max() ?? 0
        #expect(busiest <= limit / 2, "\(busiest) negotiating groups on one node; limit \(limit)")
    }

    /// What Deploy/examples/rack-12.yaml and docs/DEPLOY.md say of it.
    @Test func rack12() throws {
        let cluster = try ClusterConfiguration.load(from: Self.root + "/Deploy/examples/rack-12.yaml")
        let table = try cluster.allocationTable()
        #expect(cluster.servers.count == 12)
        let perZone = Dictionary(grouping: cluster.servers, by: \.zone).mapValues(\.count)
        #expect(perZone == ["pdu-a": 4, "pdu-b": 4, "pdu-c": 4])
        #expect(table.designatedCount == 5)
        // At most 2 members of a row in one zone, so a row spans all three.
        for row in table.rows {
            let zones = Dictionary(grouping: row.members, by: { id in cluster.server(id)!.zone }).mapValues(\.count)
            #expect(zones.count == 3 && zones.values.allSatisfy { $0 <= 2 }, "row \(row.id): \(zones)")
        }
        // About 256 × 5 / 12 ≈ 107 Negotiating Groups per node.
        let groups = cluster.servers.map { table.rows(containing: NodeID($0.id)).count }
        #expect(groups.reduce(0, +) == 256 * 5)
        #expect(groups.allSatisfy { (80...135).contains($0) }, "groups per node: \(groups)")
        // D stays 5 from 5 to 68 servers, so a membership change in that range only touches
        // the rows of the server concerned.
        for n in 5...68 {
            #expect(AllocationTable.designatedGroupSize(servers: n, k: cluster.table.k, minimum: cluster.table.minimumGroupSize) == 5)
        }
        #expect(AllocationTable.designatedGroupSize(servers: 69, k: cluster.table.k, minimum: cluster.table.minimumGroupSize) == 6)
    }
}
