// INTERIM: replaced by Table/ when the table work is merged. Same API subset.
import ReplicastWire

public struct ServerInfo: Sendable, Hashable, Codable {
    public var id: NodeID
    public var zone: String
    public var endpoints: [String]
    public init(id: NodeID, zone: String, endpoints: [String]) { self.id = id; self.zone = zone; self.endpoints = endpoints }
}
extension NodeID: Codable {}
public struct MulticastAddressSet: Sendable, Hashable {
    public var negotiating: [GroupAddress]
    public var notification: [GroupAddress]
}
public struct TableRow: Sendable, Hashable {
    public var id: RowID
    public var designated: [NodeID]
    public var associates: [NodeID]
    public var addresses: MulticastAddressSet
    public var members: [NodeID] { designated + associates }
    public func isDesignated(_ n: NodeID) -> Bool { designated.contains(n) }
}
public struct AllocationTable: Sendable {
    public var generation: UInt32
    public var servers: [ServerInfo]
    public var rows: [TableRow]
    public init(servers: [ServerInfo], rowCount: Int, generation: UInt32, port: UInt16) {
        self.generation = generation
        self.servers = servers.sorted { $0.id < $1.id }
        self.rows = (0..<rowCount).map { r in
            TableRow(id: RowID(UInt32(r)), designated: servers.map(\.id), associates: [],
                     addresses: MulticastAddressSet(negotiating: [GroupAddress(ipv4: 239, 77, 0, UInt8(r), port: port)], notification: []))
        }
    }
    public func rowID(for hash: HashID) -> RowID { RowID(UInt32(hash.prefix64 % UInt64(rows.count))) }
    public func row(_ id: RowID) -> TableRow? { Int(id.rawValue) < rows.count ? rows[Int(id.rawValue)] : nil }
    public func row(for hash: HashID) -> TableRow { row(rowID(for: hash))! }
    public var rendezvousPools: [RendezvousGroupPool] { [RendezvousGroupPool(port: rows[0].addresses.negotiating[0].port)] }
    public func server(_ id: NodeID) -> ServerInfo? { servers.first { $0.id == id } }
    public func rows(containing id: NodeID) -> [RowID] { rows.filter { $0.members.contains(id) }.map(\.id) }
}
public struct RendezvousGroupPool: Sendable {
    public var port: UInt16
    public init(port: UInt16) { self.port = port }
    public func group(client: NodeID, sequence: UInt32) -> GroupAddress {
        let x = (client.rawValue &* 2654435761) ^ sequence
        return GroupAddress(ipv4: 239, 78, UInt8(truncatingIfNeeded: x >> 8), UInt8(truncatingIfNeeded: x), port: port)
    }
}
