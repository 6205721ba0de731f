import ReplicastWire

/// Why a server holds a chunk.
public enum ChunkRole: Sendable, Hashable, CustomStringConvertible {
    /// The server was chosen to store the chunk (it accepted a put); never evicted to make room.
    case designated
    /// The server keeps a copy it received while serving or watching a get (a volunteer
    /// server, patent claims 7-9); may be evicted to make room.
    case volunteer

    public var description: String {
        switch self {
        case .designated: "designated"
        case .volunteer: "volunteer"
        }
    }
}

/// What the store knows about one chunk it holds.
public struct StoredChunk: Sendable, Hashable {
    /// The chunk's Content Hash ID.
    public var hash: HashID
    /// Payload length in bytes.
    public var length: Int
    public var role: ChunkRole
    /// The names (versions) under which the chunk is also indexed; empty for ordinary chunks.
    public var names: [ChunkName]

    public init(hash: HashID, length: Int, role: ChunkRole, names: [ChunkName]) {
        self.hash = hash
        self.length = length
        self.role = role
        self.names = names
    }
}
