import ReplicastWire

/// The store's in-memory index: every chunk on disk with its length, role and names, plus
/// the versions of each named object. Pure bookkeeping, no I/O; rebuilt from the directory
/// when a store opens.
struct ChunkIndex {
    struct Entry {
        var length: Int
        var role: ChunkRole
        var names: [ChunkName]
        /// Logical time of the last put or get, for least-recently-used eviction.
        var lastUse: UInt64
    }

    /// A named object: bucket and name, any version.
    private struct ObjectKey: Hashable {
        var bucket: HashID
        var name: HashID
    }

    private(set) var entries: [HashID: Entry] = [:]
    /// Versions of each object, sorted by version, each with its chunk.
    private var versions: [ObjectKey: [(version: UInt64, hash: HashID)]] = [:]
    /// Sum of the lengths of all entries.
    private(set) var usedBytes = 0
    private var clock: UInt64 = 0

    subscript(hash: HashID) -> Entry? { entries[hash] }

    /// Records a chunk, or upgrades a volunteer copy to designated. A designated chunk is
    /// never downgraded.
    mutating func insert(_ hash: HashID, length: Int, role: ChunkRole) {
        clock += 1
        if var entry = entries[hash] {
            if role == .designated { entry.role = .designated }
            entry.lastUse = clock
            entries[hash] = entry
        } else {
            entries[hash] = Entry(length: length, role: role, names: [], lastUse: clock)
            usedBytes += length
        }
    }

    /// Marks a chunk as just used.
    mutating func touch(_ hash: HashID) {
        clock += 1
        entries[hash]?.lastUse = clock
    }

    /// The chunk recorded under `name`, if any.
    func hash(named name: ChunkName) -> HashID? {
        let key = ObjectKey(bucket: name.bucket, name: name.name)
        guard let list = versions[key] else { return nil }
        let i = Self.firstIndex(in: list, notBelow: name.version)
        return i < list.count && list[i].version == name.version ? list[i].hash : nil
    }

    /// Indexes an already inserted chunk under `name` (the caller checked for conflicts).
    mutating func addName(_ name: ChunkName, to hash: HashID) {
        guard entries[hash] != nil, self.hash(named: name) == nil else { return }
        entries[hash]!.names.append(name)
        let key = ObjectKey(bucket: name.bucket, name: name.name)
        var list = versions[key, default: []]
        list.insert((name.version, hash), at: Self.firstIndex(in: list, notBelow: name.version))
        versions[key] = list
    }

    /// Forgets a chunk and its names; returns what was recorded.
    @discardableResult
    mutating func remove(_ hash: HashID) -> Entry? {
        guard let entry = entries.removeValue(forKey: hash) else { return nil }
        usedBytes -= entry.length
        for name in entry.names {
            let key = ObjectKey(bucket: name.bucket, name: name.name)
            versions[key]?.removeAll { $0.version == name.version }
            if versions[key]?.isEmpty == true { versions[key] = nil }
        }
        return entry
    }

    /// The newest version of `bucket`/`name` whose version lies in `range`.
    func newestVersion(bucket: HashID, name: HashID, in range: ClosedRange<UInt64>) -> (ChunkName, HashID)? {
        guard let list = versions[ObjectKey(bucket: bucket, name: name)] else { return nil }
        // Index of the first version above the range; the one before it is the candidate.
        let above = range.upperBound == .max
            ? list.count : Self.firstIndex(in: list, notBelow: range.upperBound + 1)
        guard above > 0, list[above - 1].version >= range.lowerBound else { return nil }
        let found = list[above - 1]
        return (ChunkName(bucket: bucket, name: name, version: found.version), found.hash)
    }

    /// Volunteer copies to drop, least recently used first, until at least `bytes` are freed
    /// (or all volunteers are listed).
    func evictionCandidates(toFree bytes: Int) -> [HashID] {
        let volunteers = entries.filter { $0.value.role == .volunteer }
            .sorted { $0.value.lastUse < $1.value.lastUse }
        var chosen: [HashID] = []
        var freed = 0
        for (hash, entry) in volunteers where freed < bytes {
            chosen.append(hash)
            freed += entry.length
        }
        return chosen
    }

    /// Binary search: the first position whose version is at least `version`.
    private static func firstIndex(in list: [(version: UInt64, hash: HashID)], notBelow version: UInt64) -> Int {
        var low = 0
        var high = list.count
        while low < high {
            let mid = (low + high) / 2
            if list[mid].version < version { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
