import ReplicastWire

/// A server's state for one put: from the Put Proposal (or a peer's answer, or the transfer,
/// when one of those arrives first) until the server has nothing more to do for it and
/// releases it (`ServerCore.releasePut`: gives back the booking, leaves the Delivery Group if
/// it joined it, forgets the put).
///
/// The phases, and what moves a put from one to the next:
///
/// - `collecting`: cluster consensus. The server multicast its own Put Accept and collects
///   every member's (its own among them once it has seen the proposal). A put also starts here
///   when a peer's answer arrives before the proposal. Once every member has answered, or the
///   collection time is over, the server decides as every member does
///   (`ServerCore.decideCluster`): chosen to receive → `booked`, or `leading` for the leader;
///   not chosen but it offered a window → `standingBy`; otherwise released. Without the
///   proposal it cannot decide: released at the deadline.
/// - `offered`: client consensus. The server offered a window (booked in its calendar; it
///   joined the Delivery Group) and awaits the client's decision. The Consensus Put Accept
///   lists it → `booked`; it does not → released.
/// - `booked`: chosen to receive (by the client, or by the cluster's decision); the booking
///   shrank to the chosen transfer window (when that window does not fit, the server NAKs and
///   is released). Awaits the transfer.
/// - `standingBy`: cluster consensus, not chosen by this server's decision but it offered a
///   window. Members may have seen different answers (a lost accept) and so decided
///   differently; the leader's decision is the one the client follows, so the server stays in
///   the Delivery Group until the transfer says who receives it, or the offered window passes.
/// - `leading`: cluster consensus, the leader (always one of the chosen). Awaits the transfer,
///   and every chosen member's Payload ACK or NAK (its own included), to report them to the
///   client in one Consensus ACK (at the latest at its deadline); then released.
/// - `storing`: the Rendezvous Transfer listed this server and its chunk is being written. A
///   transfer that lists the server moves it here from any other phase, or creates the put here
///   when the server holds none and keeps a standing reservation for its sender (which sends no
///   proposal; any other such transfer is refused). A proposal carrying the whole chunk also
///   starts a put here (`direct`), answered to the client.
///   When the store completes the server ACKs (or NAKs) and is released, except the leader,
///   which goes back to `leading` with its own answer counted. A put whose cluster consensus
///   was not decided yet when the transfer came still collects answers, and may decide while
///   storing (which makes it the leader, a member, or releases it).
///
/// Outside `storing`, a Relayed ACK or a Transfer Abort releases the put (the client needs
/// nothing more), and so does the deadline once nothing is left to decide or report; while
/// storing, the deadline moves on.
/// In any phase, a transfer that does not list the server releases the put, and so does a NAK
/// (declined window, incomplete transfer, failed store), except that the leader counts its own
/// NAK and goes on leading until its peers have answered.
struct ServerPut: Sendable {
    enum Phase: Sendable {
        /// Cluster consensus: collecting every member's answer.
        case collecting(answers: [NodeID: PutAccept.Answer])
        /// Client consensus: offered a window; awaiting the client's Consensus Put Accept.
        case offered
        /// Chosen to receive: the transfer window is booked; awaiting the transfer.
        case booked
        /// Cluster consensus: not chosen here, but offered a window; staying in the Delivery
        /// Group until the transfer lists who receives it, or the offered window passes.
        case standingBy
        /// Cluster leader: awaiting the transfer and the chosen members' ACKs and NAKs.
        case leading(LeaderTally)
        /// Storing the transfer's chunk.
        case storing(Storing)
    }

    /// The cluster leader's count of the chosen members' answers to the transfer.
    struct LeaderTally: Sendable {
        /// The members chosen to receive the chunk (as decided, then as the transfer lists them).
        var members: [NodeID]
        /// Members whose Payload ACK was seen.
        var acks: Set<NodeID> = []
        /// Members that NAKed (declined or failed).
        var naks: Set<NodeID> = []

        /// Whether every chosen member has ACKed or NAKed.
        var isComplete: Bool { Set(members).isSubset(of: acks.union(naks)) }
    }

    /// A store in progress, and what the server does once it completes.
    struct Storing: Sendable {
        enum Role: Sendable {
            /// ACKs (or NAKs) the chunk, then is released.
            case member
            /// The cluster leader: counts its own ACK (or, after a failed store, its NAK) and goes
            /// back to `leading`.
            case leader(LeaderTally)
            /// Cluster consensus not decided yet (the transfer came before the last answer or
            /// the collection time's end), or the proposal never seen: the answers are still
            /// collected, and a decision made while storing makes the server a member or the
            /// leader (or releases it). Without a decision it ACKs and is released.
            case undecided(answers: [NodeID: PutAccept.Answer])
        }

        var role: Role
        /// The content hash the transfer carried (what is ACKed when the proposal was never seen).
        var contentHash: HashID
    }

    /// The outcome of a cluster decision for this server.
    enum Decision: Sendable {
        /// Chosen to receive the transfer; the leader tallies the chosen members' answers.
        case chosen(leader: LeaderTally?)
        /// Not chosen, but offered a window: stays until the transfer lists the receivers.
        case standingBy
    }

    let client: NodeID
    /// The Put Proposal; nil until seen (while `collecting` or `storing`, when the peers'
    /// answers or the transfer came first).
    var proposal: PutProposal?
    /// The window this server offered; it joined the Delivery Group for it (nil: it did not).
    var offer: RendezvousWindow?
    var phase: Phase
    var deadline: Instant
    /// The proposal carried the whole chunk (immediate content, PROTOCOL.md § 12.1): stored at
    /// once, without a rendezvous, and answered to the client directly whatever the consensus.
    var direct = false
    /// Cluster consensus: the members' answers, timed from the proposal's arrival for the
    /// answer-round estimate (late answers still count, whatever the phase).
    var round = AnswerRound()

    init(client: NodeID, deadline: Instant) {
        self.client = client
        self.phase = .collecting(answers: [:])
        self.deadline = deadline
    }

    var consensus: ConsensusMode { proposal?.consensus ?? .client }

    /// Whether Payload ACKs and NAKs go to the Delivery Group (cluster consensus: the leader
    /// tallies them) rather than to the client.
    var answersToGroup: Bool { consensus == .cluster && !direct }

    var isStoring: Bool {
        if case .storing = phase { return true }
        return false
    }

    /// Whether this server leads the put (cluster consensus), storing or not.
    var isLeader: Bool {
        switch phase {
        case .leading: return true
        case .storing(let s): if case .leader = s.role { return true } else { return false }
        default: return false
        }
    }

    /// The answers collected so far, while the put is undecided.
    var undecidedAnswers: [NodeID: PutAccept.Answer]? {
        switch phase {
        case .collecting(let answers): return answers
        case .storing(let s): if case .undecided(let answers) = s.role { return answers } else { return nil }
        default: return nil
        }
    }

    /// The content hash of the transfer being stored.
    var transferHash: HashID? {
        if case .storing(let s) = phase { return s.contentHash }
        return nil
    }

    /// Records a member's answer; false (and nothing recorded) once the put is decided.
    mutating func recordAnswer(_ answer: PutAccept.Answer, from server: NodeID) -> Bool {
        switch phase {
        case .collecting(var answers):
            answers[server] = answer
            phase = .collecting(answers: answers)
        case .storing(var s):
            guard case .undecided(var answers) = s.role else { return false }
            answers[server] = answer
            s.role = .undecided(answers: answers)
            phase = .storing(s)
        default:
            return false
        }
        return true
    }

    /// Client consensus: the proposal was answered with an offer. A store already under way
    /// (the transfer came first) goes on, as a member's.
    mutating func enterOffered() {
        switch phase {
        case .storing(var s):
            if case .undecided = s.role { s.role = .member }
            phase = .storing(s)
        default:
            phase = .offered
        }
    }

    /// Client consensus: the client's decision lists this server.
    mutating func enterBooked() {
        if case .offered = phase { phase = .booked }
    }

    /// Applies the cluster's decision to an undecided put (collecting or storing).
    mutating func apply(_ decision: Decision) {
        switch (phase, decision) {
        case (.storing(var s), .chosen(let tally)):
            s.role = tally.map { .leader($0) } ?? .member
            phase = .storing(s)
        case (.storing(var s), .standingBy):
            s.role = .member
            phase = .storing(s)
        case (_, .chosen(let tally?)):
            phase = .leading(tally)
        case (_, .chosen(nil)):
            phase = .booked
        case (_, .standingBy):
            phase = .standingBy
        }
    }

    /// A transfer listing this server arrived: its chunk is being stored now.
    mutating func startStoring(_ transfer: RendezvousTransfer) {
        let role: Storing.Role
        switch phase {
        case .collecting(let answers): role = .undecided(answers: answers)
        case .offered, .booked, .standingBy: role = .member
        case .leading(var tally):
            tally.members = transfer.members
            role = .leader(tally)
        case .storing(let s): role = s.role
        }
        phase = .storing(Storing(role: role, contentHash: transfer.contentHash))
    }

    /// Cluster leader: its own store completed (`acked`) or failed; it goes on leading.
    /// False when this server does not lead the put.
    mutating func leaderStored(acked: Bool, me: NodeID) -> Bool {
        var tally: LeaderTally
        switch phase {
        case .leading(let t): tally = t
        case .storing(let s): guard case .leader(let t) = s.role else { return false }; tally = t
        default: return false
        }
        if acked { tally.acks.insert(me) }
        phase = .leading(tally)
        return true
    }

    /// Cluster leader: a chosen member's Payload ACK (`acked`) or NAK. False (nothing counted)
    /// when this server does not lead the put.
    mutating func countMemberAnswer(_ server: NodeID, acked: Bool) -> Bool {
        switch phase {
        case .leading(var tally):
            if acked { tally.acks.insert(server) } else { tally.naks.insert(server) }
            phase = .leading(tally)
        case .storing(var s):
            guard case .leader(var tally) = s.role else { return false }
            if acked { tally.acks.insert(server) } else { tally.naks.insert(server) }
            s.role = .leader(tally)
            phase = .storing(s)
        default:
            return false
        }
        return true
    }
}
