import ReplicastWire

extension AllocationTable {
    /// Every member of `row`'s Negotiating Group (none for an unknown row).
    public func members(of row: RowID) -> [NodeID] { self.row(row)?.members ?? [] }

    /// The designated members of `row`, in table order (none for an unknown row).
    public func designated(of row: RowID) -> [NodeID] { self.row(row)?.designated ?? [] }
}
