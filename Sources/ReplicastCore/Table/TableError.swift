import ReplicastWire

/// Why a Distributed Hash Allocation Table, its configuration or a membership change was refused.
public enum TableError: Error, Equatable, Sendable {
    /// The membership list is empty (or removing the server would empty it).
    case noServers
    /// Two entries of the membership list share this id.
    case duplicateServer(NodeID)
    /// A client id (at or above `NodeID.firstClient`) was listed as a storage server.
    case clientIDAsServer(NodeID)
    /// A server lists a different number of endpoints than the configuration has networks.
    case endpointCountMismatch(server: NodeID, expected: Int, actual: Int)
    /// The server to remove is not in the table.
    case unknownServer(NodeID)
    /// The row count is zero or above `TableConfiguration.maximumRowCount`.
    case rowCountOutOfRange(UInt32)
    /// A group-size parameter (`k`, `minimumGroupSize`, `associatesPerRow`) is out of range.
    case groupParameterOutOfRange(name: String, value: Int)
    /// The configuration lists no networks.
    case noNetworks
    /// The rendezvous pool size is zero or above `RendezvousGroupPool.maximumSize`.
    case rendezvousPoolSizeOutOfRange(UInt32)
    /// A base address is not a dotted-quad IPv4 address.
    case invalidAddress(String)
    /// An address range starting at this base leaves the routable IPv4 multicast range
    /// (224.0.1.0 – 239.255.255.255).
    case addressRangeNotMulticast(String)
    /// Two configured address ranges (named by their bases) overlap.
    case overlappingAddressRanges(String, String)
}
