import ReplicastWire

/// The timing of one round of answers from a Negotiating Group (a proposal or a request, and
/// every member's answer), for the round-trip estimates that set how long rounds wait.
///
/// A round yields its duration once every member has answered, also when that happens after
/// the round was decided: a wait that was too short must learn from the answers it missed, or
/// a slow network (or a fresh cluster on a slow host) would miss them every time. A round
/// with answers missing yields nothing: the time to its last answer is shorter than a full
/// round, and learning from it would shorten the waits until slow members are always missed.
struct AnswerRound: Sendable {
    /// When the round began (the proposal or request was sent or received); nil before that.
    var startedAt: Instant?
    private var answered: Set<NodeID> = []
    private var complete = false

    init(startedAt: Instant? = nil) {
        self.startedAt = startedAt
    }

    /// Records `member`'s answer. Returns the round's duration the first time every one of
    /// `members` has answered, nil otherwise.
    mutating func record(_ member: NodeID, of members: [NodeID], now: Instant) -> Duration? {
        answered.insert(member)
        guard !complete, let startedAt, members.allSatisfy(answered.contains) else { return nil }
        complete = true
        return now - startedAt
    }

}
