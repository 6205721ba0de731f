import ReplicastWire

/// A server's state for one get: from the Get Request (or the first peer's answer or
/// Additional Target Request, when one arrives first) until the server has nothing more to do
/// for it and releases it (`ServerCore.releaseGet`: leaves the Delivery Group if it
/// volunteered, forgets the get).
///
/// The phases, and what moves a get from one to the next:
///
/// - `collecting`: cluster consensus. The server multicast its own answer (an offer when it
///   holds the chunk, else not found, or an Additional Target Request when it volunteers) and
///   collects every member's. A get also starts here, with no answer of its own yet, when a
///   peer's answer or Additional Target Request arrives before the request; without the request
///   it is released at its deadline. Once every member has answered, or the collection time is
///   over, the server decides as every member does (`ServerCore.decideGet`): the best offer is
///   its own → `serving`; it volunteered → `volunteering`; otherwise released.
/// - `offered`: client consensus; the server holds the chunk and offered it. The Get Accept
///   names it → `serving`; names another server → released.
/// - `serving`: the server reads the chunk to send it: as immediate content in its Get
///   Response (client consensus, a small chunk), or in a Rendezvous Transfer (accepted by the
///   client, or the cluster's choice). Released once it is sent (or the read failed and the
///   client was told).
/// - `volunteering`: the server does not hold the chunk but volunteered to keep a copy
///   (patent claims 7-9): it joined the Delivery Group and awaits the transfer (client
///   consensus: from its request on; cluster consensus: once decided). A transfer listing it →
///   `storingCopy`; one that does not, or a Transfer Abort → released.
/// - `storingCopy`: a volunteer stores the delivered copy; released when the store completes
///   (or by a Transfer Abort).
///
/// Outside `storingCopy`, the deadline releases the get (a `collecting` one that has its
/// request decides first); while storing, the deadline moves on.
struct ServerGet: Sendable {
    enum Phase: Sendable {
        /// Cluster consensus: collecting every member's answer.
        case collecting(Answers)
        /// Client consensus: holds the chunk and offered it; awaiting the client's Get Accept.
        case offered(HeldChunk)
        /// Reading the chunk to answer with it or to send it in a Rendezvous Transfer.
        case serving(HeldChunk)
        /// Volunteer: awaiting the transfer of the chunk `HashID`, to keep a copy.
        case volunteering(HashID)
        /// Volunteer: storing the delivered copy of `HashID`.
        case storingCopy(HashID)
    }

    /// The chunk this server holds and would deliver.
    struct HeldChunk: Sendable {
        var hash: HashID
        var name: ChunkName?
    }

    /// What this server answered to the request.
    enum OwnAnswer: Sendable {
        /// Holds the chunk: offered it.
        case holder(HeldChunk)
        /// Does not hold it: volunteered to keep a copy (an Additional Target Request).
        case volunteer(HashID)
        /// Does not hold it: said so.
        case bystander
        /// Holds it but cannot deliver it before this time (its last read failed): said so
        /// with Content Not Immediately Available.
        case unavailable(Instant)

        var isVolunteer: Bool {
            if case .volunteer = self { return true }
            return false
        }
    }

    /// Cluster consensus: the members' answers, collected until the decision.
    struct Answers: Sendable {
        /// Every member's offer, this server's included.
        var offers: [NodeID: GetResponse] = [:]
        var notFound: Set<NodeID> = []
        /// Members that hold the chunk but cannot deliver it now, and from when they can.
        var unavailable: [NodeID: Instant] = [:]
        /// This server's answer; nil until it has seen the request.
        var own: OwnAnswer?
    }

    let client: NodeID
    /// The Get Request; nil until seen (while `collecting`).
    var request: GetRequest?
    /// Servers that asked to join the delivery (Additional Target Requests, this server's
    /// own included when it volunteers): the members of its Rendezvous Transfer besides the
    /// client, and answers of the cluster consensus round.
    var volunteers: Set<NodeID> = []
    var phase: Phase = .collecting(Answers())
    var deadline: Instant
    /// Cluster consensus: the members' answers, timed from the request's arrival for the
    /// answer-round estimate (late answers still count, whatever the phase).
    var round = AnswerRound()

    init(client: NodeID, deadline: Instant) {
        self.client = client
        self.deadline = deadline
    }

    var consensus: ConsensusMode { request?.consensus ?? .client }

    /// Cluster consensus: the members that answered so far; nil once decided.
    var answered: Set<NodeID>? {
        guard case .collecting(let answers) = phase else { return nil }
        return Set(answers.offers.keys).union(answers.notFound).union(answers.unavailable.keys).union(volunteers)
    }

    /// The chunk this server holds for the get, if it does.
    var heldChunk: HeldChunk? {
        switch phase {
        case .offered(let chunk), .serving(let chunk): return chunk
        case .collecting(let answers): if case .holder(let chunk)? = answers.own { return chunk } else { return nil }
        case .volunteering, .storingCopy: return nil
        }
    }

    /// The chunk the get is about, as far as this server knows it: the one it holds, or the
    /// one it volunteered to keep.
    var hash: HashID? {
        switch phase {
        case .offered(let chunk), .serving(let chunk): return chunk.hash
        case .volunteering(let hash), .storingCopy(let hash): return hash
        case .collecting(let answers):
            switch answers.own {
            case .holder(let chunk)?: return chunk.hash
            case .volunteer(let hash)?: return hash
            case .bystander?, .unavailable?, nil: return nil
            }
        }
    }

    var isVolunteer: Bool {
        switch phase {
        case .volunteering, .storingCopy: return true
        case .collecting(let answers): return answers.own?.isVolunteer ?? false
        case .offered, .serving: return false
        }
    }

    var isStoring: Bool {
        if case .storingCopy = phase { return true }
        return false
    }

    /// Cluster consensus: records this server's own answer (`offer` when it holds the chunk).
    mutating func answer(_ own: OwnAnswer, offer: GetResponse?, me: NodeID) {
        switch own {
        case .holder: collect { $0.offers[me] = offer }
        case .volunteer: volunteers.insert(me)
        case .bystander: collect { $0.notFound.insert(me) }
        case .unavailable(let at): collect { $0.unavailable[me] = at }
        }
        collect { $0.own = own }
    }

    /// Cluster consensus: records answers (a peer's offer or not-found, or this server's own)
    /// while collecting; once the get is decided they are moot.
    mutating func collect(_ body: (inout Answers) -> Void) {
        guard case .collecting(var answers) = phase else { return }
        body(&answers)
        phase = .collecting(answers)
    }
}
