import ReplicastWire

/// Where the core wants a message sent. The runtime maps it to a transport destination:
/// a row's Negotiating Group address, a Rendezvous Group address, or a participant's endpoint.
public enum Target: Hashable, Sendable, CustomStringConvertible {
    /// Every member of a row's Negotiating Group (multicast).
    case negotiatingGroup(RowID)
    /// A Rendezvous Group (multicast).
    case group(GroupAddress)
    /// One participant (unicast).
    case node(NodeID)

    public var description: String {
        switch self {
        case .negotiatingGroup(let r): return "NG \(r)"
        case .group(let g): return "RG \(g)"
        case .node(let n): return "\(n)"
        }
    }
}

/// A message the core asks the runtime to send.
public struct Outbound: Sendable, Equatable {
    public var target: Target
    public var kind: MessageKind
    /// The message's own id: the sender's (source, sequence, subsequence).
    public var id: RequestID
    public var message: Message
    /// For a Rendezvous Transfer: do not start before this time, and never exceed this rate
    /// (bytes per second). For an unsolicited message that its sender's unsolicited allocation
    /// holds back: do not send before this time. Nil for unsolicited messages due at once.
    public var pacing: RendezvousWindow?

    public init(target: Target, kind: MessageKind, id: RequestID, message: Message, pacing: RendezvousWindow? = nil) {
        self.target = target
        self.kind = kind
        self.id = id
        self.message = message
        self.pacing = pacing
    }
}

/// Names a store request; its completion (`ServerCore.storeCompleted`) carries it back.
public struct StoreToken: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public var description: String { "store#\(rawValue)" }
}

/// Names a load request; its completion (`ServerCore.loadCompleted`) carries it back.
public struct LoadToken: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public var description: String { "load#\(rawValue)" }
}

/// A request to the storage layer; its completion comes back as an event with the same token.
public struct StoreRequest: Sendable, Equatable {
    public var token: StoreToken
    public var contentHash: HashID
    public var name: ChunkName?
    public var payload: Payload
    /// False for a volunteer copy (does not count as designated).
    public var designated: Bool
}

/// A request to read a chunk for a get; its completion comes back as an event.
public struct LoadRequest: Sendable, Equatable {
    public var token: LoadToken
    public var contentHash: HashID
    /// The chunk's length as catalogued, so the runtime can allocate (register) the
    /// destination memory before the read.
    public var length: UInt64
}

/// What a protocol core asks of its driver: network work common to both roles, and the
/// role's own `Effect` (a server's storage requests, a client's outcomes).
public enum Action<Effect: Sendable & Equatable>: Sendable, Equatable {
    case send(Outbound)
    case join(GroupAddress)
    case leave(GroupAddress)
    case effect(Effect)
}

/// What a server asks of its storage layer.
public enum StorageRequest: Sendable, Equatable {
    /// Verify and persist a chunk (fsync before the ACK is sent).
    case store(StoreRequest)
    /// Read a chunk (verified) for a get.
    case load(LoadRequest)
}

/// What a client reports to its application.
public enum ClientOutcome: Sendable, Equatable {
    /// A put finished (successfully or not).
    case put(PutOutcome)
    /// A get finished (successfully or not).
    case get(GetOutcome)
    /// A locate probe finished.
    case locate(TransactionToken, LocateReport)
}

/// A server core's actions.
public typealias ServerAction = Action<StorageRequest>
/// A client core's actions.
public typealias ClientAction = Action<ClientOutcome>

/// An incoming, decoded message with its header fields.
public struct Inbound: Sendable, Equatable {
    public var kind: MessageKind
    /// The message's own id (its source is the sender).
    public var id: RequestID
    public var generation: UInt32
    public var message: Message

    public init(kind: MessageKind, id: RequestID, generation: UInt32, message: Message) {
        self.kind = kind
        self.id = id
        self.generation = generation
        self.message = message
    }

    public var source: NodeID { id.source }
}
