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
    /// (bytes per second). Nil for unsolicited messages.
    public var pacing: RendezvousWindow?

    public init(target: Target, kind: MessageKind, id: RequestID, message: Message, pacing: RendezvousWindow? = nil) {
        self.target = target
        self.kind = kind
        self.id = id
        self.message = message
        self.pacing = pacing
    }
}

/// A request to the storage layer; its completion comes back as an event with the same token.
public struct StoreRequest: Sendable, Equatable {
    public var token: UInt64
    public var contentHash: HashID
    public var name: ChunkName?
    public var payload: Payload
    /// False for a volunteer copy (does not count as designated).
    public var designated: Bool
}

/// A request to read a chunk for a get; its completion comes back as an event.
public struct LoadRequest: Sendable, Equatable {
    public var token: UInt64
    public var contentHash: HashID
    /// The chunk's length as catalogued, so the runtime can allocate (register) the
    /// destination memory before the read.
    public var length: UInt64
}

/// What the core asks the runtime to do.
public enum Action: Sendable, Equatable {
    case send(Outbound)
    case join(GroupAddress)
    case leave(GroupAddress)
    /// Server: verify and persist a chunk (fsync before the ACK is sent).
    case store(StoreRequest)
    /// Server: read a chunk (verified) for a get.
    case load(LoadRequest)
    /// Client: a put finished (successfully or not).
    case putCompleted(PutOutcome)
    /// Client: a get finished (successfully or not).
    case getCompleted(GetOutcome)
    /// Client: a locate probe finished.
    case locateCompleted(TransactionToken, LocateReport)
}

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
