import Foundation
import ReplicastCore
import ReplicastWire
import Yams

/// A cluster as described by its `cluster.yaml`: table generation and configuration, the
/// storage servers (id, failure domain, unicast endpoint, data directory), and how nodes
/// reach each other. Every node and client of the cluster loads the same file.
public struct ClusterConfiguration: Codable, Sendable, Equatable {
    /// One storage server.
    public struct Server: Codable, Sendable, Equatable {
        public var id: UInt32
        /// Failure domain.
        public var zone: String
        /// Unicast UDP endpoint `a.b.c.d:port`.
        public var endpoint: String
        /// Where the node keeps its chunks.
        public var dataDirectory: String
        /// Whether the node volunteers copies on gets.
        public var volunteer: Bool
        /// Store quota in bytes (nil: the filesystem's free space).
        public var quotaBytes: Int?
        /// This server's link (rate and shares), over the file's `link` (`LinkSettings`).
        public var link: LinkSettings?

        public init(
            id: UInt32, zone: String, endpoint: String, dataDirectory: String, volunteer: Bool = false, quotaBytes: Int? = nil,
            link: LinkSettings? = nil
        ) {
            self.link = link
            self.id = id
            self.zone = zone
            self.endpoint = endpoint
            self.dataDirectory = dataDirectory
            self.volunteer = volunteer
            self.quotaBytes = quotaBytes
        }
    }

    /// Distributed Hash Allocation Table generation.
    public var generation: UInt32
    /// Interface address clients send and join groups on unless told otherwise (127.0.0.1
    /// for a local cluster). A node uses the address of its own endpoint.
    public var interface: String
    /// Multicast TTL (0 keeps traffic on the machine).
    public var multicastTTL: UInt8
    /// Largest datagram (fits a 9000-byte MTU by default).
    public var maxDatagramSize: Int
    /// Replicas per chunk for clients that do not say otherwise.
    public var replicas: Int
    public var table: TableConfiguration
    public var servers: [Server]
    /// Every node's link unless its own entry says otherwise (clients' too); nil: each node
    /// reads its interface (`LinkSettings`, `ClusterConfiguration.nodeLink`).
    public var link: LinkSettings?

    public init(
        generation: UInt32 = 1, interface: String = "127.0.0.1", multicastTTL: UInt8 = 0,
        maxDatagramSize: Int = 8972, replicas: Int = 3, table: TableConfiguration, servers: [Server],
        link: LinkSettings? = nil
    ) {
        self.link = link
        self.generation = generation
        self.interface = interface
        self.multicastTTL = multicastTTL
        self.maxDatagramSize = maxDatagramSize
        self.replicas = replicas
        self.table = table
        self.servers = servers
    }

    /// The server entry of `id`.
    public func server(_ id: NodeID) -> Server? {
        servers.first { $0.id == id.rawValue }
    }

    /// Builds the allocation table this file describes.
    public func allocationTable() throws -> AllocationTable {
        let infos = servers.map { ServerInfo(id: NodeID($0.id), zone: $0.zone, endpoints: [$0.endpoint]) }
        return try AllocationTable(servers: infos, configuration: table, generation: generation)
    }

    /// Loads a cluster file.
    public static func load(from path: String) throws -> ClusterConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError("cannot read cluster file \(path): \(error.localizedDescription)")
        }
        let config: ClusterConfiguration
        do {
            try checkKeys(of: text)
            config = try YAMLDecoder().decode(ClusterConfiguration.self, from: text)
        } catch {
            throw ConfigurationError("invalid cluster file \(path): \(error)")
        }
        do {
            try config.validate()
        } catch {
            throw ConfigurationError("invalid cluster file \(path): \(error)")
        }
        return config
    }

    /// Writes the cluster file atomically (temporary file, then rename).
    public func save(to path: String) throws {
        let text = try YAMLEncoder().encode(self)
        let tmp = path + ".tmp"
        try text.write(toFile: tmp, atomically: false, encoding: .utf8)
        if rename(tmp, path) != 0 { throw ConfigurationError("cannot write \(path)") }
    }

    /// A cluster of `nodes` servers on this machine: loopback endpoints from `basePort`,
    /// one zone per node, data under `directory/node-N`, a small table (few multicast groups).
    public static func local(
        nodes: Int, directory: String, replicas: Int, basePort: UInt16, multicastPort: UInt16,
        volunteers: Int = 0, quotaBytes: Int? = nil
    ) -> ClusterConfiguration {
        let servers = (1...nodes).map { i in
            Server(
                id: UInt32(i), zone: "zone-\(i)", endpoint: "127.0.0.1:\(Int(basePort) + i)",
                dataDirectory: "\(directory)/node-\(i)", volunteer: i > nodes - volunteers, quotaBytes: quotaBytes)
        }
        let table = TableConfiguration(
            rowCount: 8, k: replicas, minimumGroupSize: min(nodes, replicas + 2), port: multicastPort)
        return ClusterConfiguration(replicas: replicas, table: table, servers: servers)
    }
}

/// A configuration problem, with a message for the user.
public struct ConfigurationError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
