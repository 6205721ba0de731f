import ReplicastWire

/// How a client negotiates, times out and retries.
public struct ClientConfiguration: Sendable {
    /// This client's id (at or above `NodeID.firstClient`).
    public var id: NodeID
    /// The sequence number of this incarnation's first message (0 counts as 1). Peers remember
    /// request ids for a while (response caches, reassembly of unfinished messages), so a
    /// restarted participant must not begin where its previous incarnation did: the runtime
    /// starts each one at a random point.
    public var firstSequence: UInt32 = 1
    /// Replicas per chunk.
    public var replicas: Int = 3
    /// Default consensus mode for puts and gets.
    public var consensus: ConsensusMode = .client
    /// How long to collect Put Accepts / Get Responses before deciding, at least: the wait
    /// follows the measured round trips (SRTT + 4 RTTVAR) above this floor.
    public var collectTimeout: Duration = .milliseconds(40)
    /// The collection wait before any round trip was measured. Generous, since a round where
    /// every member answers ends at the last answer, not at the wait: it only delays the
    /// first rounds that miss an answer, and gives a slow fresh cluster (a VM, a cold start)
    /// time to answer. Answers that come after a round was decided still teach the estimate.
    public var initialCollectTimeout: Duration = .milliseconds(250)
    /// How long after the end of a transfer window to wait for Payload ACKs (servers fsync).
    public var ackGrace: Duration = .seconds(2)
    /// Proposals / requests per transaction before giving up.
    public var maxAttempts: Int = 8
    /// A put or get that no server of its row answered for this long, while this client
    /// heard from no server at all since it started, ends with `noResponse` at its next
    /// retry instead of running out its attempts: the cluster cannot be reached.
    public var silenceLimit: Duration = .seconds(3)
    /// Base of the randomized (Aloha) back-off between attempts; doubles each attempt.
    public var retryBackoff: Duration = .milliseconds(10)
    /// The four bandwidth allocations of the client's link.
    public var allocation: BandwidthAllocation = .standard
    /// Maximum delivery rate offered in proposals (the reserved outbound allocation), bytes
    /// per second.
    public var maxDeliveryRate: UInt64 {
        get { allocation.reservedOutbound }
        set { allocation.reservedOutbound = newValue }
    }
    /// Bytes a request counts against the unsolicited outbound allocation (header,
    /// metadata and framing of a Put Proposal or Get Request).
    public var requestCost: Int = 256
    /// Requests that may leave at once after a quiet spell.
    public var requestBurst: Int = 32
    /// An indefinite reservation the servers keep for this client (small clusters): its
    /// client-consensus puts of unnamed chunks skip the proposal while credit lasts. Nil
    /// (the default): every put is negotiated.
    public var standingReservation: StandingReservation?
    /// Largest chunk a server may return as immediate content in a Get Response.
    public var maxImmediate: UInt32 = 4096
    /// Largest chunk a put sends whole in its Put Proposal (immediate content): the members
    /// store it at once and ACK, with no rendezvous (PROTOCOL.md § 12.1). 0 (the default):
    /// every put negotiates a rendezvous.
    public var maxImmediatePut: UInt32 = 0
    /// Chooses the Rendezvous Group in client consensus.
    public var policy: any RendezvousPolicy = DefaultRendezvousPolicy()
    /// Seed of the back-off randomness.
    public var seed: UInt64 = 1
    /// How a transfer reaches its Rendezvous Group: once by multicast (the protocol), or as
    /// one unicast copy per member (only to measure what multicast saves).
    public var fanout: TransferFanout = .multicast
    /// Liveness view from the servers' keep-alive service (docs/PROTOCOL.md § 15); nil: off
    /// (every member of a row is awaited).
    public var membership: ClientMembershipConfiguration? = nil

    public init(id: NodeID) {
        self.id = id
    }
}

/// How a client sends a rendezvous transfer to the members of its Rendezvous Group.
public enum TransferFanout: Sendable, Equatable {
    /// Once, to the Rendezvous Group's multicast address.
    case multicast
    /// One unicast copy per member, as point-to-point replication would.
    case unicastCopies
}
