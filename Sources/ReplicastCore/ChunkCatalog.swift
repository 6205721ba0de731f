import ReplicastWire

/// What a server knows it stores: content hashes with their lengths, and the named index.
/// The runtime fills it from the chunk store at start and the core keeps it current as
/// chunks are stored, so dedup and get decisions need no I/O.
public struct ChunkCatalog: Sendable {
    public struct Entry: Sendable, Equatable {
        public var length: UInt64
        public var designated: Bool
    }

    public private(set) var chunks: [HashID: Entry] = [:]
    private var names: [NameKey: [(version: UInt64, hash: HashID)]] = [:]

    private struct NameKey: Hashable, Sendable {
        var bucket: HashID
        var name: HashID
    }

    public init() {}

    public func contains(_ hash: HashID) -> Bool { chunks[hash] != nil }
    public func length(of hash: HashID) -> UInt64? { chunks[hash]?.length }
    public var count: Int { chunks.count }

    /// Records a stored chunk (and its name, for a version manifest).
    public mutating func add(_ hash: HashID, length: UInt64, designated: Bool, name: ChunkName? = nil) {
        let old = chunks[hash]
        chunks[hash] = Entry(length: length, designated: designated || (old?.designated ?? false))
        if let name {
            let key = NameKey(bucket: name.bucket, name: name.name)
            if !(names[key]?.contains { $0.version == name.version } ?? false) {
                names[key, default: []].append((name.version, hash))
            }
        }
    }

    /// Whether `hash` is stored as the named chunk `name` (that bucket, name and version).
    public func contains(_ hash: HashID, named name: ChunkName) -> Bool {
        guard chunks[hash] != nil else { return false }
        return names[NameKey(bucket: name.bucket, name: name.name)]?.contains { $0.version == name.version && $0.hash == hash } ?? false
    }

    /// Forgets a chunk (evicted volunteer copy, or failed verification).
    public mutating func remove(_ hash: HashID) {
        chunks[hash] = nil
        for key in names.keys { names[key]!.removeAll { $0.hash == hash } }
    }

    /// The newest version of bucket/name within `versions`.
    public func newest(bucket: HashID, name: HashID, in versions: ClosedRange<UInt64>) -> (ChunkName, HashID)? {
        guard let all = names[NameKey(bucket: bucket, name: name)] else { return nil }
        guard let best = all.filter({ versions.contains($0.version) && chunks[$0.hash] != nil })
            .max(by: { $0.version < $1.version })
        else { return nil }
        return (ChunkName(bucket: bucket, name: name, version: best.version), best.hash)
    }
}
