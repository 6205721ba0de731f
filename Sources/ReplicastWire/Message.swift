/// A Replicast message (FIG. 23-30): one case per message type, each with its fields.
///
/// A message is carried in one or more datagrams (see `DatagramHeader`); its bytes are the
/// message metadata (fixed and variable fields, protected by the header CRC-32C) followed by
/// its bulk payload (immediate content, tracking tokens and chunk bytes, validated by the
/// content hash instead). `docs/PROTOCOL.md` gives the byte layout of every case.
public enum Message: Sendable, Equatable {
    case putProposal(PutProposal)
    case putAccept(PutAccept)
    case consensusPutAccept(ConsensusPutAccept)
    case rendezvousTransfer(RendezvousTransfer)
    case payloadAck(PayloadAck)
    case payloadNak(PayloadNak)
    case relayedAck(RelayedAck)
    case consensusAck(ConsensusAck)
    case getRequest(GetRequest)
    case getResponse(GetResponse)
    case getAccept(GetAccept)
    case additionalTargetRequest(AdditionalTargetRequest)
    case errorGetResponse(ErrorGetResponse)
    case contentNotImmediatelyAvailable(ContentNotImmediatelyAvailable)
    case transferAbort(TransferAbort)
    case staleGeneration(StaleGeneration)
    // Keep-alive membership (0x40-0x42, MembershipMessages.swift).
    case heartbeat(Heartbeat)
    case membershipQuery(MembershipQuery)
    case membershipView(MembershipView)
}

/// How the Rendezvous Group of a transaction is agreed.
public enum ConsensusMode: UInt8, Sendable, CaseIterable {
    /// Responses go to the client, which chooses (FIG. 6-8, 16-17).
    case client = 0
    /// Responses are multicast to the Negotiating Group, whose members all evaluate them the
    /// same way; the leader answers the client (FIG. 9-11, 18-21).
    case cluster = 1
}

/// Named or Unnamed Chunk Put Proposal (FIG. 24), multicast to a Negotiating Group.
public struct PutProposal: Sendable, Equatable {
    /// Target Negotiating Group.
    public var negotiatingGroup: RowID
    /// Content Hash ID of the chunk.
    public var contentHash: HashID
    /// Bucket / Name Hash / Unique Version Identifier for a named chunk (version manifest);
    /// nil for an unnamed (payload) chunk. Selects the named or unnamed message type.
    public var name: ChunkName?
    /// Length of non-volatile content: the whole chunk, in bytes.
    public var chunkLength: UInt64
    /// Length of the tracking tokens that precede the chunk bytes in the transfer.
    public var trackingTokensLength: UInt32
    /// Delivery Group: the Rendezvous Group the payload will be sent to.
    public var deliveryGroup: GroupAddress
    /// Maximum Delivery Rate, bytes per second.
    public var maxDeliveryRate: UInt64
    /// Replicas wanted (extension: needed by cluster consensus so every member evaluates alike).
    public var replicas: UInt8
    /// Who agrees the Rendezvous Group (extension).
    public var consensus: ConsensusMode
    /// Content carried immediately in the proposal ("Length of content included in the Put
    /// Proposal"): a prefix of the chunk bytes, possibly the whole chunk.
    public var immediate: Payload

    public init(
        negotiatingGroup: RowID, contentHash: HashID, name: ChunkName?, chunkLength: UInt64,
        trackingTokensLength: UInt32 = 0, deliveryGroup: GroupAddress, maxDeliveryRate: UInt64,
        replicas: UInt8, consensus: ConsensusMode, immediate: Payload = .empty
    ) {
        self.negotiatingGroup = negotiatingGroup
        self.contentHash = contentHash
        self.name = name
        self.chunkLength = chunkLength
        self.trackingTokensLength = trackingTokensLength
        self.deliveryGroup = deliveryGroup
        self.maxDeliveryRate = maxDeliveryRate
        self.replicas = replicas
        self.consensus = consensus
        self.immediate = immediate
    }
}

/// Chunk Put Accept (FIG. 25) in its three forms.
public struct PutAccept: Sendable, Equatable {
    /// The three answers a server gives to a Put Proposal.
    public enum Answer: Sendable, Equatable {
        /// Proposed Rendezvous: the window and rate this server reserved for the transfer.
        case proposedRendezvous(RendezvousWindow)
        /// Content Already Stored: no transfer to this server is needed.
        case alreadyStored
        /// Not Now, with the earliest time this server would consider a retry.
        case notNow(earliestRetry: Instant)
    }

    /// Copy of Put Proposal ID.
    public var proposal: RequestID
    /// Target Negotiating Group, as in the proposal.
    public var negotiatingGroup: RowID
    public var answer: Answer

    public init(proposal: RequestID, negotiatingGroup: RowID, answer: Answer) {
        self.proposal = proposal
        self.negotiatingGroup = negotiatingGroup
        self.answer = answer
    }
}

/// Consensus Put Accept (FIG. 10): the leader of the Negotiating Group tells the client the
/// Rendezvous Group, time and rate that every member derived from the Put Accepts.
public struct ConsensusPutAccept: Sendable, Equatable {
    public var proposal: RequestID
    public var negotiatingGroup: RowID
    /// Servers that will receive the transfer (empty when no transfer is needed).
    public var members: [NodeID]
    /// Servers that already store the chunk.
    public var alreadyStored: [NodeID]
    /// The agreed window and rate (ignored when `members` is empty).
    public var window: RendezvousWindow

    public init(
        proposal: RequestID, negotiatingGroup: RowID, members: [NodeID], alreadyStored: [NodeID],
        window: RendezvousWindow
    ) {
        self.proposal = proposal
        self.negotiatingGroup = negotiatingGroup
        self.members = members
        self.alreadyStored = alreadyStored
        self.window = window
    }
}

/// Rendezvous Transfer (FIG. 26), with or without an Arbitrary Chunk ID: the chunk bytes,
/// multicast once to the Rendezvous Group.
public struct RendezvousTransfer: Sendable, Equatable {
    /// The put proposal or get request this transfer belongs to.
    public var request: RequestID
    /// Target Delivery Group.
    public var deliveryGroup: GroupAddress
    /// List of Delivery Group Members: a recipient not listed leaves the group.
    public var members: [NodeID]
    /// Delivery Rate, bytes per second: a recipient that cannot sustain it leaves and NAKs.
    public var rate: UInt64
    /// Content Hash ID of Chunk.
    public var contentHash: HashID
    /// Arbitrary Chunk ID, when the chunk id is not the content hash.
    public var arbitraryChunkID: HashID?
    /// Byte offset in the chunk at which `content` starts (after any immediate prefix).
    public var offset: UInt64
    /// Length of Tracking Tokens at the start of `content`.
    public var trackingTokensLength: UInt32
    /// Tracking tokens then the remaining chunk bytes.
    public var content: Payload

    public init(
        request: RequestID, deliveryGroup: GroupAddress, members: [NodeID], rate: UInt64,
        contentHash: HashID, arbitraryChunkID: HashID? = nil, offset: UInt64 = 0,
        trackingTokensLength: UInt32 = 0, content: Payload
    ) {
        self.request = request
        self.deliveryGroup = deliveryGroup
        self.members = members
        self.rate = rate
        self.contentHash = contentHash
        self.arbitraryChunkID = arbitraryChunkID
        self.offset = offset
        self.trackingTokensLength = trackingTokensLength
        self.content = content
    }
}

/// Payload ACK (FIG. 27), named or unnamed: the sender (header source) has the chunk
/// persistently stored.
public struct PayloadAck: Sendable, Equatable {
    public var proposal: RequestID
    public var contentHash: HashID
    /// Set for a named chunk (selects the named message type).
    public var name: ChunkName?

    public init(proposal: RequestID, contentHash: HashID, name: ChunkName? = nil) {
        self.proposal = proposal
        self.contentHash = contentHash
        self.name = name
    }
}

/// Reasons for a Payload NAK ("Specific Payload NACK Error Code").
public enum NakCode: UInt16, Sendable, CaseIterable {
    /// Fragments were missing when the transfer timed out.
    case incomplete = 1
    /// The received bytes do not hash to the content hash.
    case hashMismatch = 2
    /// The store could not keep the chunk (disk full, I/O error).
    case storageFailure = 3
    /// The transfer's rate is more than this server can sustain.
    case rateTooHigh = 4
    /// No matching proposal or reservation was known.
    case unexpected = 5
    /// The sender aborted the transfer.
    case aborted = 6
}

/// Payload NAK (FIG. 27).
public struct PayloadNak: Sendable, Equatable {
    public var proposal: RequestID
    public var contentHash: HashID
    public var code: NakCode

    public init(proposal: RequestID, contentHash: HashID, code: NakCode) {
        self.proposal = proposal
        self.contentHash = contentHash
        self.code = code
    }
}

/// Relayed ACK: the client tells the Negotiating Group which servers now store the chunk
/// (FIG. 8, 13). Servers in the group learn where replicas are.
public struct RelayedAck: Sendable, Equatable {
    public var proposal: RequestID
    public var negotiatingGroup: RowID
    public var contentHash: HashID
    public var storedOn: [NodeID]

    public init(proposal: RequestID, negotiatingGroup: RowID, contentHash: HashID, storedOn: [NodeID]) {
        self.proposal = proposal
        self.negotiatingGroup = negotiatingGroup
        self.contentHash = contentHash
        self.storedOn = storedOn
    }
}

/// Consensus ACK: in cluster consensus the leader tells the client which servers stored the
/// chunk (FIG. 11).
public struct ConsensusAck: Sendable, Equatable {
    public var proposal: RequestID
    public var contentHash: HashID
    public var storedOn: [NodeID]

    public init(proposal: RequestID, contentHash: HashID, storedOn: [NodeID]) {
        self.proposal = proposal
        self.contentHash = contentHash
        self.storedOn = storedOn
    }
}

/// What a Get Request asks for.
public enum GetTarget: Sendable, Equatable {
    /// An unnamed chunk by its Content Hash ID.
    case content(HashID)
    /// A named chunk: the newest version of bucket/name within the version range.
    case named(bucket: HashID, name: HashID, versions: ClosedRange<UInt64>)
}

/// Named or Unnamed Chunk Get Request (FIG. 28), multicast to a Negotiating Group.
public struct GetRequest: Sendable, Equatable {
    public var negotiatingGroup: RowID
    public var target: GetTarget
    /// Delivery Group: the Rendezvous Group the client has joined to receive the chunk.
    public var deliveryGroup: GroupAddress
    /// Maximum Immediate Content Size per Get.
    public var maxImmediate: UInt32
    /// Maximum # of Delegated Gets.
    public var maxDelegatedGets: UInt16
    /// Who chooses the responder (extension).
    public var consensus: ConsensusMode
    /// Reception Window(s): when the client is ready to receive (first: the main chunk).
    public var receptionWindows: [RendezvousWindow]

    public init(
        negotiatingGroup: RowID, target: GetTarget, deliveryGroup: GroupAddress, maxImmediate: UInt32,
        maxDelegatedGets: UInt16 = 0, consensus: ConsensusMode, receptionWindows: [RendezvousWindow]
    ) {
        self.negotiatingGroup = negotiatingGroup
        self.target = target
        self.deliveryGroup = deliveryGroup
        self.maxImmediate = maxImmediate
        self.maxDelegatedGets = maxDelegatedGets
        self.consensus = consensus
        self.receptionWindows = receptionWindows
    }
}

/// Named or Unnamed Get Response (FIG. 29): a server offers to deliver the chunk.
public struct GetResponse: Sendable, Equatable {
    public var request: RequestID
    public var negotiatingGroup: RowID
    public var deliveryGroup: GroupAddress
    /// Timestamp when the response (the transfer) would occur.
    public var responseTime: Instant
    /// ID of storage server.
    public var server: NodeID
    public var contentHash: HashID
    /// Set when the chunk is named (selects the named message type).
    public var name: ChunkName?
    /// Delivery Rate, bytes per second.
    public var rate: UInt64
    /// Content Length: the whole chunk.
    public var contentLength: UInt64
    /// Immediate Content: the chunk, or its first bytes, when small enough.
    public var immediate: Payload

    public init(
        request: RequestID, negotiatingGroup: RowID, deliveryGroup: GroupAddress, responseTime: Instant,
        server: NodeID, contentHash: HashID, name: ChunkName? = nil, rate: UInt64, contentLength: UInt64,
        immediate: Payload = .empty
    ) {
        self.request = request
        self.negotiatingGroup = negotiatingGroup
        self.deliveryGroup = deliveryGroup
        self.responseTime = responseTime
        self.server = server
        self.contentHash = contentHash
        self.name = name
        self.rate = rate
        self.contentLength = contentLength
        self.immediate = immediate
    }
}

/// Get Accept (FIG. 17): the client tells the Negotiating Group which responder serves.
public struct GetAccept: Sendable, Equatable {
    public var request: RequestID
    public var negotiatingGroup: RowID
    /// The chosen server.
    public var server: NodeID
    /// When it should start, and at what rate.
    public var window: RendezvousWindow

    public init(request: RequestID, negotiatingGroup: RowID, server: NodeID, window: RendezvousWindow) {
        self.request = request
        self.negotiatingGroup = negotiatingGroup
        self.server = server
        self.window = window
    }
}

/// Additional Target Request (FIG. 20): a volunteer server (the header source) will join the
/// get's Rendezvous Group and keep a copy that does not count as designated.
public struct AdditionalTargetRequest: Sendable, Equatable {
    public var request: RequestID
    public var negotiatingGroup: RowID
    public var deliveryGroup: GroupAddress
    public var contentHash: HashID

    public init(request: RequestID, negotiatingGroup: RowID, deliveryGroup: GroupAddress, contentHash: HashID) {
        self.request = request
        self.negotiatingGroup = negotiatingGroup
        self.deliveryGroup = deliveryGroup
        self.contentHash = contentHash
    }
}

/// Error Code for Chunk Get Response.
public enum GetErrorCode: UInt16, Sendable, CaseIterable {
    /// This server does not hold the chunk.
    case notFound = 1
    /// The chunk is larger than the client accepts.
    case tooLarge = 2
    /// The stored copy failed verification.
    case corrupt = 3
    /// The server cannot serve now (overloaded, shutting down).
    case unavailable = 4
}

/// Error Get Response (FIG. 30).
public struct ErrorGetResponse: Sendable, Equatable {
    public var request: RequestID
    public var negotiatingGroup: RowID
    public var deliveryGroup: GroupAddress
    public var code: GetErrorCode

    public init(request: RequestID, negotiatingGroup: RowID, deliveryGroup: GroupAddress, code: GetErrorCode) {
        self.request = request
        self.negotiatingGroup = negotiatingGroup
        self.deliveryGroup = deliveryGroup
        self.code = code
    }
}

/// Content Not Immediately Available: retry the get no earlier than `availableAt`.
public struct ContentNotImmediatelyAvailable: Sendable, Equatable {
    public var request: RequestID
    public var negotiatingGroup: RowID
    public var availableAt: Instant

    public init(request: RequestID, negotiatingGroup: RowID, availableAt: Instant) {
        self.request = request
        self.negotiatingGroup = negotiatingGroup
        self.availableAt = availableAt
    }
}

/// Why a transfer was aborted.
public enum AbortReason: UInt16, Sendable, CaseIterable {
    case cancelled = 1
    case sourceFailure = 2
    case superseded = 3
}

/// Transfer abort: the sender explicitly aborts a Rendezvous Transfer; members leave.
public struct TransferAbort: Sendable, Equatable {
    public var request: RequestID
    public var deliveryGroup: GroupAddress
    public var reason: AbortReason

    public init(request: RequestID, deliveryGroup: GroupAddress, reason: AbortReason) {
        self.request = request
        self.deliveryGroup = deliveryGroup
        self.reason = reason
    }
}

/// Tells a peer that its Distributed Hash Allocation Table generation is stale.
public struct StaleGeneration: Sendable, Equatable {
    /// The request that carried the stale generation.
    public var request: RequestID
    /// The generation the sender of this notice holds.
    public var currentGeneration: UInt32

    public init(request: RequestID, currentGeneration: UInt32) {
        self.request = request
        self.currentGeneration = currentGeneration
    }
}
