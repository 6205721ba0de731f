/// The keep-alive membership messages (docs/PROTOCOL.md § 15): servers announce themselves
/// on the cluster's control group and measure round trips to each other; a client asks one
/// server which servers are down.

/// Heartbeat (0x40): a server's periodic announcement on the control group, with echoes of
/// the latest heartbeat it heard from each peer, so the peer can measure its round trip:
/// `RTT = arrival − echo.sentAt − echo.hold` (both times on the peer's own clock, so the
/// clocks need not agree).
public struct Heartbeat: Sendable, Equatable {
    /// The echo of one peer's latest heartbeat.
    public struct Echo: Sendable, Equatable {
        /// The peer whose heartbeat is echoed.
        public var peer: NodeID
        /// That heartbeat's `sentAt`, as the peer wrote it.
        public var sentAt: Instant
        /// How long the echoing server held it: from its arrival to this heartbeat's sending.
        public var hold: Duration

        public init(peer: NodeID, sentAt: Instant, hold: Duration) {
            self.peer = peer
            self.sentAt = sentAt
            self.hold = hold
        }
    }

    /// The sender's incarnation: larger after every restart (a restart is seen as such).
    public var incarnation: UInt64
    /// The sender's clock when it sent this heartbeat.
    public var sentAt: Instant
    /// Echoes of peers' heartbeats heard since the sender's previous heartbeat (≤ 64).
    public var echoes: [Echo]

    public init(incarnation: UInt64, sentAt: Instant, echoes: [Echo]) {
        self.incarnation = incarnation
        self.sentAt = sentAt
        self.echoes = echoes
    }
}

/// Membership Query (0x41): a client asks one server (`responder`) for its liveness view.
/// Sent to the control group, so a client needs no server's endpoint to ask; only the
/// named server answers.
public struct MembershipQuery: Sendable, Equatable {
    /// The server asked to answer.
    public var responder: NodeID
    /// The client's clock when it sent the query (echoed in the view).
    public var sentAt: Instant

    public init(responder: NodeID, sentAt: Instant) {
        self.responder = responder
        self.sentAt = sentAt
    }
}

/// Membership View (0x42): a server's answer to a Membership Query, the servers it sees
/// down (every other server of the table is up), and the query's time echoed for the
/// client's round-trip measurement.
public struct MembershipView: Sendable, Equatable {
    /// A server seen down, with the last incarnation heard from it (0: never heard).
    public struct Down: Sendable, Equatable {
        public var node: NodeID
        public var incarnation: UInt64

        public init(node: NodeID, incarnation: UInt64) {
            self.node = node
            self.incarnation = incarnation
        }
    }

    /// Copy of the query's id.
    public var request: RequestID
    /// The answering server's incarnation.
    public var incarnation: UInt64
    /// The query's `sentAt`.
    public var echoedSentAt: Instant
    /// From the query's arrival to this answer's sending.
    public var hold: Duration
    /// The servers the answering server sees down (≤ 64, lowest ids first).
    public var down: [Down]

    public init(request: RequestID, incarnation: UInt64, echoedSentAt: Instant, hold: Duration, down: [Down]) {
        self.request = request
        self.incarnation = incarnation
        self.echoedSentAt = echoedSentAt
        self.hold = hold
        self.down = down
    }
}
