import ReplicastWire

/// The client's state for one chunk get (or locate probe).
struct GetTransaction: Sendable {
    enum Phase: Sendable {
        /// Request sent; collecting Get Responses (client consensus) or waiting for the
        /// delivery (cluster consensus).
        case requesting
        /// Get Accept sent to `server`; waiting for its Rendezvous Transfer.
        case awaitingTransfer(server: NodeID, response: GetResponse)
        case backingOff
        /// The request waits for the request pacer.
        case paced
    }

    let token: TransactionToken
    let sequence: UInt32
    let owner: NodeID
    let target: GetTarget
    let consensus: ConsensusMode
    let row: RowID
    let deliveryGroup: GroupAddress
    /// A locate probe only collects who holds the chunk.
    let isProbe: Bool

    var attempt: UInt16 = 0
    /// When the get started.
    var startedAt: Instant = .zero
    var phase: Phase = .requesting
    var deadline: Instant
    /// The current request's round of answers, timed for the round-trip estimate.
    var round = AnswerRound()
    var responses: [NodeID: GetResponse] = [:]
    var notFound: Set<NodeID> = []
    /// Client consensus: members that hold the chunk but cannot deliver it now (Content Not
    /// Immediately Available).
    var unavailable: Set<NodeID> = []
    /// The earliest time a holder said it can deliver (Content Not Immediately Available).
    var unavailableUntil: Instant?
    var everAnswered = false
    var corruptDeliveries = 0
    /// Cluster consensus, named get: a delivery that came before its server's Get Response,
    /// which says which version it is; it completes the get when that response comes.
    var early: EarlyDelivery?

    /// A delivered chunk waiting for the Get Response that names its version.
    struct EarlyDelivery: Sendable {
        var payload: Payload
        var hash: HashID
        var server: NodeID
        var volunteers: [NodeID]
    }

    /// Sub-sequences: two per attempt (request, get accept).
    var requestID: RequestID { RequestID(source: owner, sequence: sequence, subsequence: attempt &* 2) }
    var acceptID: RequestID { RequestID(source: owner, sequence: sequence, subsequence: attempt &* 2 &+ 1) }

    /// The content hash a delivery must match, when the request named it.
    var expectedHash: HashID? {
        if case .content(let h) = target { return h }
        return nil
    }
}
