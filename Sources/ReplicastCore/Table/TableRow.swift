import ReplicastWire

/// One row of the Distributed Hash Allocation Table: a range of Hash IDs, its Negotiating
/// Group and the group's Multicast Address Set.
public struct TableRow: Hashable, Sendable {
    /// The row, as carried in messages ("Target Negotiating Group").
    public var id: RowID
    /// The Designated Servers, responsible for long-term storage of the row's chunks, in
    /// rendezvous rank order. The order matters: cluster consensus elects the first-listed
    /// designated member that intends to accept (or the first-listed if none does).
    public var designated: [NodeID]
    /// Further members that receive proposals and gets but are not designated: copies they
    /// keep do not count towards the replication count. In rendezvous rank order.
    public var associates: [NodeID]
    /// The row's multicast addresses.
    public var addresses: MulticastAddressSet

    public init(id: RowID, designated: [NodeID], associates: [NodeID], addresses: MulticastAddressSet) {
        self.id = id
        self.designated = designated
        self.associates = associates
        self.addresses = addresses
    }

    /// Every member of the Negotiating Group: the designated servers, then the associates.
    public var members: [NodeID] { designated + associates }

    /// Whether `server` is a designated member of the row.
    public func isDesignated(_ server: NodeID) -> Bool { designated.contains(server) }

    /// Whether `server` is a member (designated or associate) of the row.
    public func isMember(_ server: NodeID) -> Bool {
        designated.contains(server) || associates.contains(server)
    }
}
