import ReplicastWire

/// A client's handle for one put or get, returned when it starts and echoed in its outcome.
public struct TransactionToken: Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public var description: String { "txn\(rawValue)" }
}

/// What a successful put achieved.
public struct PutReceipt: Sendable, Equatable {
    public var contentHash: HashID
    /// Servers that acknowledged storing the chunk in this put (Payload ACK).
    public var storedOn: [NodeID]
    /// Servers that already had it (Content Already Stored): deduplicated.
    public var alreadyStored: [NodeID]
    /// Whether the chunk's bytes were sent at all: in a Rendezvous Transfer, or whole in the
    /// Put Proposal (immediate content). False when deduplicated.
    public var transferred: Bool
    /// Proposals sent (1 when nothing had to be retried).
    public var attempts: Int

    public init(contentHash: HashID, storedOn: [NodeID], alreadyStored: [NodeID], transferred: Bool, attempts: Int) {
        self.contentHash = contentHash
        self.storedOn = storedOn
        self.alreadyStored = alreadyStored
        self.transferred = transferred
        self.attempts = attempts
    }
}

/// What a client tried before it gave up on a silent row: the row, its Negotiating Group's
/// address and members, how many requests it sent and over how long.
public struct Unanswered: Sendable, Equatable, CustomStringConvertible {
    public var row: RowID
    public var group: GroupAddress?
    public var servers: [NodeID]
    public var attempts: Int
    public var elapsed: Duration

    public init(row: RowID, group: GroupAddress?, servers: [NodeID], attempts: Int, elapsed: Duration) {
        self.row = row
        self.group = group
        self.servers = servers
        self.attempts = attempts
        self.elapsed = elapsed
    }

    public var description: String {
        let seconds = Double(elapsed.nanoseconds) / 1e9
        let at = group.map { " at \($0)" } ?? ""
        let who = servers.map(\.description).joined(separator: ", ")
        return "\(row) (servers \(who)\(at)): \(attempts) requests over \((seconds * 10).rounded() / 10) s"
    }
}

/// Why a put failed.
public enum PutError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No member of the Negotiating Group answered: what was tried.
    case noResponse(Unanswered)
    /// Fewer than the wanted replicas could be stored after every retry.
    case insufficientReplicas(stored: Int, wanted: Int)
    /// The cluster's table is newer than the client's.
    case staleTable(current: UInt32)
    /// The client's transport failed for good (closed, its device removed): why.
    case transportFailed(String)

    public var description: String {
        switch self {
        case .noResponse(let tried): return "no storage server answered: \(tried)"
        case .insufficientReplicas(let s, let w): return "only \(s) of \(w) replicas could be stored"
        case .staleTable(let g): return "the client's hash allocation table is stale (cluster generation \(g))"
        case .transportFailed(let why): return "the client's transport failed: \(why)"
        }
    }
}

/// The end of a put.
public struct PutOutcome: Sendable, Equatable {
    public var token: TransactionToken
    public var result: Result<PutReceipt, PutError>
}

/// What a successful get delivered.
public struct GetReceipt: Sendable, Equatable {
    public var contentHash: HashID
    /// Set when a named chunk was fetched.
    public var name: ChunkName?
    /// The chunk, verified against its content hash.
    public var payload: Payload
    /// The server that delivered it.
    public var server: NodeID
    /// Volunteers that joined the delivery to keep a copy (Additional Target Requests seen).
    public var volunteers: [NodeID]
    /// Whether it came as immediate content in a Get Response (no rendezvous transfer).
    public var immediate: Bool

    public init(contentHash: HashID, name: ChunkName?, payload: Payload, server: NodeID, volunteers: [NodeID], immediate: Bool) {
        self.contentHash = contentHash
        self.name = name
        self.payload = payload
        self.server = server
        self.volunteers = volunteers
        self.immediate = immediate
    }
}

/// Why a get failed.
public enum GetError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Every member that answered said it does not hold the chunk.
    case notFound
    /// No member of the Negotiating Group answered, or no delivery arrived, after every
    /// retry: what was tried.
    case noResponse(Unanswered)
    /// Every delivered copy failed verification.
    case corrupt
    /// The content is offline; retry after this time.
    case notAvailableUntil(Instant)
    /// The cluster's table is newer than the client's.
    case staleTable(current: UInt32)
    /// The client's transport failed for good (closed, its device removed): why.
    case transportFailed(String)

    public var description: String {
        switch self {
        case .notFound: return "not found"
        case .noResponse(let tried): return "no storage server delivered the chunk: \(tried)"
        case .corrupt: return "every delivered copy failed verification"
        case .notAvailableUntil(let t): return "content not available until \(t)"
        case .staleTable(let g): return "the client's hash allocation table is stale (cluster generation \(g))"
        case .transportFailed(let why): return "the client's transport failed: \(why)"
        }
    }
}

/// The end of a get.
public struct GetOutcome: Sendable, Equatable {
    public var token: TransactionToken
    public var result: Result<GetReceipt, GetError>
}

/// A locate probe's answer: which servers of the row said they hold the chunk.
public struct LocateReport: Sendable, Equatable {
    public var contentHash: HashID
    public var holders: [NodeID]
}
