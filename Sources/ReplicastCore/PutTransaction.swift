import ReplicastWire

/// The client's state for one chunk put.
struct PutTransaction: Sendable {
    enum Phase: Sendable {
        /// Proposal sent; collecting Put Accepts (client consensus) or waiting for the
        /// Consensus Put Accept (cluster consensus).
        case negotiating
        /// Transfer sent to `members`; collecting Payload ACKs / the Consensus ACK.
        case transferring(members: [NodeID])
        /// Waiting to send the next proposal.
        case backingOff
        /// The proposal waits for the request pacer.
        case paced
    }

    let token: TransactionToken
    let sequence: UInt32
    let contentHash: HashID
    let name: ChunkName?
    let payload: Payload
    let replicas: Int
    let consensus: ConsensusMode
    let row: RowID
    let deliveryGroup: GroupAddress

    var attempt: UInt16 = 0
    /// When the put started.
    var startedAt: Instant = .zero
    var phase: Phase = .negotiating
    var deadline: Instant
    /// The current proposal's round of answers, timed for the round-trip estimate.
    var round = AnswerRound()
    /// Answers to the current proposal.
    var answers: [NodeID: PutAccept.Answer] = [:]
    /// Servers known to store the chunk (ACKed in an earlier round, or already stored).
    var stored: Set<NodeID> = []
    var alreadyStored: Set<NodeID> = []
    var acked: Set<NodeID> = []
    var nakked: Set<NodeID> = []
    var transferred = false
    var everAnswered = false
    /// Whether no member has answered this attempt yet (no Put Accept, ACK or NAK).
    var heardNothing: Bool { answers.isEmpty && acked.isEmpty && nakked.isEmpty }
    /// Credit of the standing reservation this attempt uses (0: negotiated).
    var standingBytes: UInt64 = 0
    /// Earliest retry a server suggested in a Not Now.
    var suggestedRetry: Instant?
    /// Each proposal carries the whole chunk (immediate content): the members store it at once
    /// and answer with Payload ACKs, with no rendezvous.
    var immediate = false

    let owner: NodeID

    /// Messages of one transaction share (source, sequence); the sub-sequence tells them
    /// apart: five per attempt (proposal, transfer, relayed ACK, abort, decision).
    var proposalID: RequestID { id(0) }
    var transferID: RequestID { id(1) }
    var relayedAckID: RequestID { id(2) }
    var abortID: RequestID { id(3) }
    var decisionID: RequestID { id(4) }

    private func id(_ offset: UInt16) -> RequestID {
        RequestID(source: owner, sequence: sequence, subsequence: attempt &* 5 &+ offset)
    }
}
