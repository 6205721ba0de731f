import ReplicastWire

/// A storage server as listed in the cluster membership.
public struct ServerInfo: Hashable, Sendable, Codable {
    /// The server's permanent id (below `NodeID.firstClient`).
    public var id: NodeID
    /// The failure domain (rack, power zone, …) the server belongs to. Rows spread their
    /// designated members across zones.
    public var zone: String
    /// One unicast endpoint per configured network, in network order (opaque to the table,
    /// e.g. "10.0.0.7:7077").
    public var endpoints: [String]

    public init(id: NodeID, zone: String, endpoints: [String]) {
        self.id = id
        self.zone = zone
        self.endpoints = endpoints
    }

    private enum CodingKeys: String, CodingKey {
        case id, zone, endpoints
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.id = NodeID(try c.decode(UInt32.self, forKey: .id))
        self.zone = try c.decode(String.self, forKey: .zone)
        self.endpoints = try c.decode([String].self, forKey: .endpoints)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id.rawValue, forKey: .id)
        try c.encode(zone, forKey: .zone)
        try c.encode(endpoints, forKey: .endpoints)
    }
}
