import ReplicastWire

/// A storage server's allocations and timing.
public struct ServerConfiguration: Sendable {
    public var id: NodeID
    /// The sequence number of this incarnation's first message (0 counts as 1). Peers remember
    /// request ids for a while (response caches, reassembly of unfinished messages), so a
    /// restarted participant must not begin where its previous incarnation did: the runtime
    /// starts each one at a random point.
    public var firstSequence: UInt32 = 1
    /// The four bandwidth allocations of the server's link.
    public var allocation: BandwidthAllocation = .standard
    /// Reserved inbound rate: reservations granted never sum above it. Bytes per second.
    public var reservedInboundRate: UInt64 {
        get { allocation.reservedInbound }
        set { allocation.reservedInbound = newValue }
    }
    /// Reserved outbound rate: the rate of rendezvous transfers this server sends (gets).
    public var reservedOutboundRate: UInt64 {
        get { allocation.reservedOutbound }
        set { allocation.reservedOutbound = newValue }
    }
    /// Sustained write rate of the store, used to push windows past the write queue.
    public var storageWriteRate: UInt64 = 1_000_000_000
    /// The earliest a proposed window starts after the proposal arrives.
    public var leadTime: Duration = .microseconds(300)
    /// Indefinite reservations granted to clients (small clusters), by client: their rates
    /// are kept for good (the calendar books only what is left of the reserved inbound
    /// rate), and their transfers come without proposals. Empty by default.
    public var standingReservations: [NodeID: UInt64] = [:]
    /// Book reserved inbound bandwidth before proposing a rendezvous (the protocol). False
    /// grants every proposal at once at the full rate, ignoring the calendar: only to
    /// measure what reservations prevent.
    public var reservations: Bool = true
    /// How much longer than its transfer a proposed window is (and is booked for): the
    /// members chosen for a put must all have windows that hold the transfer, so windows
    /// that start a little apart still overlap. The chooser's decision shrinks the booking
    /// to the transfer itself. About one 1 MiB transfer at the default rate: with 50 us,
    /// members' offers on a 5-node loopback cluster with 4 puts in flight started further
    /// apart than that, and 17% of the puts were declined and retried; with 1 ms, 2 to 4%
    /// (`replicast-bench put`, 2026-11-21).
    public var windowSlack: Duration = .milliseconds(1)
    /// A window later than this from now is answered Not Now instead.
    public var maxWait: Duration = .seconds(2)
    /// Cluster consensus: how long members collect each other's answers before deciding, at
    /// least: the wait follows how long full answer rounds take, above this floor.
    public var collectTimeout: Duration = .milliseconds(20)
    /// Cluster consensus: the collection wait before any answer round was measured (a round
    /// where every member answers ends at the last answer, not at the wait; answers that
    /// come after a round was decided still teach the estimate).
    public var initialCollectTimeout: Duration = .milliseconds(100)
    /// How long after its window a reservation (or a pending transaction) is kept.
    public var grace: Duration = .seconds(3)
    /// Free bytes kept in reserve: a chunk that would cut into them gets Not Now.
    public var reserveBytes: UInt64 = 0
    /// Volunteer: join gets of chunks this server lacks and keep a (non-designated) copy.
    public var volunteer: Bool = false
    /// Bytes a message counts against the unsolicited outbound allocation (header, metadata
    /// and framing; a Get Response counts its immediate content on top), as a client's
    /// `requestCost`: the server's answers and notices are paced within that allocation.
    public var unsolicitedMessageCost: Int = 256
    /// Messages that may leave at once after a quiet spell.
    public var unsolicitedBurst: Int = 32
    /// Responses remembered for replay to retransmitted requests.
    public var responseCacheCapacity: Int = 8192
    /// Chooses the Rendezvous Group in cluster consensus (must be the same on every member).
    public var policy: any RendezvousPolicy = DefaultRendezvousPolicy()
    /// Keep-alive membership (heartbeats on the control group, docs/PROTOCOL.md § 15); nil:
    /// off (no heartbeats, no timer).
    public var membership: MembershipConfiguration? = nil

    public init(id: NodeID) {
        self.id = id
    }
}
