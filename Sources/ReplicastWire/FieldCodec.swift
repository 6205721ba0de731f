// Encodings of the composite fields shared by many messages (docs/PROTOCOL.md, "Field
// encodings"): identifiers, hashes, groups, times, windows, names and capped lists.

extension WireWriter {
    /// Source (4), sequence (4), sub-sequence (2).
    mutating func requestID(_ id: RequestID) {
        u32(id.source.rawValue)
        u32(id.sequence)
        u16(id.subsequence)
    }

    mutating func node(_ id: NodeID) { u32(id.rawValue) }
    mutating func row(_ row: RowID) { u32(row.rawValue) }
    mutating func instant(_ t: Instant) { u64(t.rawValue) }

    /// 32 bytes, most significant word first.
    mutating func hash(_ h: HashID) {
        u64(h.words.0)
        u64(h.words.1)
        u64(h.words.2)
        u64(h.words.3)
    }

    /// 16 address bytes then the port (2).
    mutating func group(_ g: GroupAddress) {
        u64(g.address.0)
        u64(g.address.1)
        u16(g.port)
    }

    /// Whole nanoseconds (sub-nanosecond parts are dropped); negative durations cannot be sent.
    mutating func duration(_ d: Duration) throws(WireError) {
        let ns = d.nanoseconds
        guard ns >= 0, d >= .zero else { throw .invalidField }
        u64(UInt64(ns))
    }

    /// Start (8), duration (8), rate (8).
    mutating func window(_ w: RendezvousWindow) throws(WireError) {
        instant(w.start)
        try duration(w.duration)
        u64(w.rate)
    }

    /// Bucket hash (32), name hash (32), version (8).
    mutating func chunkName(_ n: ChunkName) {
        hash(n.bucket)
        hash(n.name)
        u64(n.version)
    }

    /// Count (2) then the ids (4 each); at most `WireFormat.maxNodeList`.
    mutating func nodeList(_ ids: [NodeID]) throws(WireError) {
        guard ids.count <= WireFormat.maxNodeList else { throw .listTooLong }
        u16(UInt16(ids.count))
        for id in ids { node(id) }
    }

    /// Count (2) then the windows (24 each); at most `WireFormat.maxReceptionWindows`.
    mutating func windowList(_ windows: [RendezvousWindow]) throws(WireError) {
        guard windows.count <= WireFormat.maxReceptionWindows else { throw .listTooLong }
        u16(UInt16(windows.count))
        for w in windows { try window(w) }
    }
}

extension WireReader {
    mutating func requestID() throws(WireError) -> RequestID {
        RequestID(source: NodeID(try u32()), sequence: try u32(), subsequence: try u16())
    }

    mutating func node() throws(WireError) -> NodeID { NodeID(try u32()) }
    mutating func row() throws(WireError) -> RowID { RowID(try u32()) }
    mutating func instant() throws(WireError) -> Instant { Instant(nanoseconds: try u64()) }

    mutating func hash() throws(WireError) -> HashID {
        HashID(words: (try u64(), try u64(), try u64(), try u64()))
    }

    mutating func group() throws(WireError) -> GroupAddress {
        GroupAddress(address: (try u64(), try u64()), port: try u16())
    }

    /// Nanoseconds; values above `Int64.max` are `.invalidField`.
    mutating func duration() throws(WireError) -> Duration {
        let ns = try u64()
        guard ns <= UInt64(Int64.max) else { throw .invalidField }
        return .nanoseconds(Int64(ns))
    }

    mutating func window() throws(WireError) -> RendezvousWindow {
        RendezvousWindow(start: try instant(), duration: try duration(), rate: try u64())
    }

    mutating func chunkName() throws(WireError) -> ChunkName {
        ChunkName(bucket: try hash(), name: try hash(), version: try u64())
    }

    /// The count is checked against the cap before anything is allocated.
    mutating func nodeList() throws(WireError) -> [NodeID] {
        let n = Int(try u16())
        guard n <= WireFormat.maxNodeList else { throw .listTooLong }
        guard remaining >= 4 * n else { throw .truncated }
        var ids = [NodeID]()
        ids.reserveCapacity(n)
        for _ in 0..<n { ids.append(try node()) }
        return ids
    }

    mutating func windowList() throws(WireError) -> [RendezvousWindow] {
        let n = Int(try u16())
        guard n <= WireFormat.maxReceptionWindows else { throw .listTooLong }
        guard remaining >= 24 * n else { throw .truncated }
        var windows = [RendezvousWindow]()
        windows.reserveCapacity(n)
        for _ in 0..<n { windows.append(try window()) }
        return windows
    }

    mutating func consensus() throws(WireError) -> ConsensusMode {
        guard let mode = ConsensusMode(rawValue: try u8()) else { throw .invalidField }
        return mode
    }
}
