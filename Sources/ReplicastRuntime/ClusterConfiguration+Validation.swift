import ReplicastCore
import ReplicastWire
import Yams

extension ClusterConfiguration {
    /// The keys a cluster file may use, by where they stand. A key outside these is an error
    /// (a misspelt key would otherwise be ignored and its default used).
    static let knownKeys: [String: Set<String>] = [
        "": ["generation", "interface", "multicastTTL", "maxDatagramSize", "replicas", "table", "servers", "link"],
        "table": ["rowCount", "k", "minimumGroupSize", "associatesPerRow", "networks", "port", "rendezvousPoolSize"],
        "table.networks[]": ["negotiatingBase", "notificationBase", "rendezvousBase"],
        "servers[]": ["id", "zone", "endpoint", "dataDirectory", "volunteer", "quotaBytes", "link"],
        "link": ["rate", "reservedShare", "unsolicitedShare"],
        "servers[].link": ["rate", "reservedShare", "unsolicitedShare"],
    ]

    /// Refuses keys the file format does not have, naming the first one and where it stands.
    static func checkKeys(of text: String) throws {
        guard let root = try Yams.compose(yaml: text) else { return }
        try checkKeys(root, at: "")
    }

    private static func checkKeys(_ node: Node, at path: String) throws {
        if let mapping = node.mapping {
            let known = knownKeys[path]
            for (key, value) in mapping {
                guard let name = key.string else { continue }
                if let known, !known.contains(name) {
                    let place = path.isEmpty ? "the top level" : path
                    throw ConfigurationError("unknown key '\(name)' at \(place) (known: \(known.sorted().joined(separator: ", ")))")
                }
                try checkKeys(value, at: path.isEmpty ? name : "\(path).\(name)")
            }
        } else if let sequence = node.sequence {
            for element in sequence { try checkKeys(element, at: path + "[]") }
        }
    }

    /// Refuses values no cluster can run with, naming the key and the value.
    public func validate() throws {
        func fail(_ key: String, _ value: Any, _ want: String) -> ConfigurationError {
            ConfigurationError("\(key): \(value) is not valid (want \(want))")
        }
        guard !servers.isEmpty else { throw ConfigurationError("servers: the list is empty (want at least one server)") }
        guard replicas >= 1 else { throw fail("replicas", replicas, "at least 1") }
        guard replicas <= servers.count else { throw fail("replicas", replicas, "at most the \(servers.count) servers") }
        guard (512...65_507).contains(maxDatagramSize) else { throw fail("maxDatagramSize", maxDatagramSize, "512 to 65507 bytes") }
        guard table.rowCount >= 1 else { throw fail("table.rowCount", table.rowCount, "at least 1") }
        guard table.k >= 1 else { throw fail("table.k", table.k, "at least 1") }
        guard table.minimumGroupSize >= 1 else { throw fail("table.minimumGroupSize", table.minimumGroupSize, "at least 1") }
        guard table.associatesPerRow >= 0 else { throw fail("table.associatesPerRow", table.associatesPerRow, "0 or more") }
        var ids = Set<UInt32>()
        var endpoints = Set<String>()
        for s in servers {
            let key = "servers[id \(s.id)]"
            guard s.id >= 1, s.id < NodeID.firstClient.rawValue else { throw fail("\(key).id", s.id, "1 to \(NodeID.firstClient.rawValue - 1)") }
            guard ids.insert(s.id).inserted else { throw ConfigurationError("\(key).id: \(s.id) appears twice") }
            guard endpoints.insert(s.endpoint).inserted else { throw ConfigurationError("\(key).endpoint: \(s.endpoint) is another server's too") }
            guard !s.zone.isEmpty else { throw fail("\(key).zone", "''", "a failure domain name") }
            guard !s.dataDirectory.isEmpty else { throw fail("\(key).dataDirectory", "''", "a directory") }
            if let q = s.quotaBytes, q <= 0 { throw fail("\(key).quotaBytes", q, "a positive number of bytes") }
        }
        try validateLinks()
    }
}
