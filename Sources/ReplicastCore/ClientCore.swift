import ReplicastWire

/// The client side of the protocol, sans I/O: puts and gets of chunks through the
/// Negotiating Group of their row, in client or cluster consensus.
///
/// Drive it with `put`/`get`/`locate`, `handle(_:now:)` for every decoded message addressed
/// to this client, and `handleTimeout(now:)` when `nextDeadline` passes; carry out what
/// `pollActions()` returns (send, join, leave) and read outcomes from it.
public struct ClientCore: Sendable {
    public let configuration: ClientConfiguration
    public let table: AllocationTable
    let pool: RendezvousGroupPool

    var puts: [UInt32: PutTransaction] = [:]
    var gets: [UInt32: GetTransaction] = [:]
    var actions: [ClientAction] = []
    var rng: RandomSource
    /// Round trips from a request to the last answer of its Negotiating Group.
    public internal(set) var roundTrips = RoundTripEstimator()
    /// Paces Put Proposals and Get Requests within the unsolicited outbound allocation.
    public internal(set) var pacer: RequestPacer
    /// Deliveries of gets booked in the reserved inbound allocation.
    public internal(set) var ingress: IngressCalendar
    /// Servers that answered Stale Generation with an older generation than this client's
    /// (their table is behind), with that generation.
    public internal(set) var serversBehind: [NodeID: UInt32] = [:]
    /// Standing reservation: chunk bytes in flight, and when the last transfer ends.
    var standingInFlight: UInt64 = 0
    var standingBusyUntil: Instant = .zero
    /// When a server was last heard from (any message).
    var lastHeardFromServer: Instant?
    /// Reserved outbound rate and per-server caps on transfers (`ClientRateControl`).
    var rates: ClientRateControl
    private var nextSequence: UInt32 = 1
    private var nextToken: UInt64 = 1
    /// Liveness view (ClientCore+Membership.swift); nil when not configured.
    var livenessView: ClientLivenessView?

    public init(configuration: ClientConfiguration, table: AllocationTable) {
        self.configuration = configuration
        self.table = table
        self.pool = table.rendezvousPools[0]
        self.rng = RandomSource(seed: configuration.seed)
        self.pacer = RequestPacer(
            allocation: configuration.allocation.unsolicitedOutbound, requestCost: configuration.requestCost,
            burst: configuration.requestBurst)
        self.ingress = IngressCalendar(reservedRate: configuration.allocation.reservedInbound)
        self.rates = ClientRateControl(reservedOutbound: configuration.allocation.reservedOutbound)
        self.nextSequence = max(configuration.firstSequence, 1)
        self.livenessView = configuration.membership.map { ClientLivenessView(configuration: $0, table: table) }
    }

    /// Transactions in progress.
    public var inFlight: Int { puts.count + gets.count }

    /// The actions produced since the last call, in order.
    public mutating func pollActions() -> [ClientAction] {
        defer { actions.removeAll(keepingCapacity: true) }
        return actions
    }

    /// The earliest time `handleTimeout` must be called.
    public var nextDeadline: Instant? {
        let p = puts.values.map(\.deadline).min()
        var g = gets.values.map(\.deadline).min()
        if let l = livenessDeadline { g = g.map { min($0, l) } ?? l }  // membership
        switch (p, g) {
        case let (p?, g?): return min(p, g)
        case let (p?, nil): return p
        case let (nil, g?): return g
        default: return nil
        }
    }

    mutating func allocate() -> (TransactionToken, UInt32) {
        defer { nextToken += 1; nextSequence &+= 1 }
        return (TransactionToken(nextToken), nextSequence)
    }

    mutating func emit(_ target: Target, _ kind: MessageKind, _ id: RequestID, _ message: Message, pacing: RendezvousWindow? = nil) {
        actions.append(.send(Outbound(target: target, kind: kind, id: id, message: message, pacing: pacing)))
    }

    /// How long to collect answers on `attempt`: long enough for the round trips seen so
    /// far, doubled on every further attempt (a slow host or network stretches it).
    func collectWait(attempt: UInt16) -> Duration {
        let base = roundTrips.timeout(
            floor: configuration.collectTimeout, ceiling: .seconds(2), initial: seededInitialCollectTimeout)
        return base * (1 << Int(min(attempt, 6) - 1))
    }

    /// A randomized back-off after attempt `attempt` (Aloha): uniform in [0.5, 1.5) x base x
    /// 2^(attempt-1), the exponent capped at 10 (so base after the first attempt).
    mutating func backoff(attempt: UInt16) -> Duration {
        let base = configuration.retryBackoff.nanoseconds << min(Int64(max(attempt, 1) - 1), 10)
        let jitter = Double(rng.next() % 1000) / 1000.0 + 0.5
        return .nanoseconds(Int64(Double(base) * jitter))
    }

    /// Whether no server has been heard since `start` and `silenceLimit` has passed since:
    /// the cluster cannot be reached, and retrying further only delays the error.
    func clusterSilent(since start: Instant, now: Instant) -> Bool {
        now - start >= configuration.silenceLimit && (lastHeardFromServer.map { $0 < start } ?? true)
    }

    /// What a transaction on `row` tried, for its `noResponse` error.
    func unanswered(_ row: RowID, attempts: Int, since start: Instant, now: Instant) -> Unanswered {
        Unanswered(
            row: row, group: table.row(row)?.addresses.negotiating.first, servers: table.members(of: row).sorted(),
            attempts: attempts, elapsed: now - start)
    }

    /// Feeds one decoded message addressed to this client.
    public mutating func handle(_ inbound: Inbound, now: Instant) {
        if !inbound.source.isClient { lastHeardFromServer = now }
        switch inbound.message {
        case .putAccept(let m): onPutAccept(m, from: inbound.source, now: now)
        case .consensusPutAccept(let m): onConsensusPutAccept(m, now: now)
        case .payloadAck(let m): onPayloadAck(m, from: inbound.source, now: now)
        case .payloadNak(let m): onPayloadNak(m, from: inbound.source, now: now)
        case .consensusAck(let m): onConsensusAck(m, now: now)
        case .getResponse(let m): onGetResponse(m, now: now)
        case .errorGetResponse(let m): onErrorGetResponse(m, from: inbound.source, now: now)
        case .contentNotImmediatelyAvailable(let m): onContentNotImmediatelyAvailable(m, from: inbound.source, now: now)
        case .rendezvousTransfer(let m): onRendezvousTransfer(m, from: inbound.source, now: now)
        case .staleGeneration(let m): onStaleGeneration(m, from: inbound.source)
        case .membershipView(let m): onMembershipView(m, from: inbound.source, now: now)
        case .putProposal, .relayedAck, .getRequest, .getAccept, .additionalTargetRequest, .transferAbort,
            .heartbeat, .membershipQuery:
            break  // addressed to servers
        }
    }

    /// Advances every transaction whose deadline has passed.
    public mutating func handleTimeout(now: Instant) {
        _ = ingress.expire(now: now)
        livenessTimeout(now: now)  // membership
        for seq in puts.keys.sorted() where puts[seq].map({ $0.deadline <= now }) ?? false {
            putDeadline(seq, now: now)
        }
        for seq in gets.keys.sorted() where gets[seq].map({ $0.deadline <= now }) ?? false {
            getDeadline(seq, now: now)
        }
    }

    /// The transport below failed for good: ends every transaction in progress at once,
    /// puts and gets with `transportFailed(reason)` (as `failPut` and `failGet` end them) and
    /// locate probes with the holders heard so far, instead of retrying into a transport that
    /// carries nothing.
    public mutating func abandonAll(transportFailure reason: String) {
        for seq in puts.keys.sorted() { failPut(seq, .transportFailed(reason)) }
        for seq in gets.keys.sorted() {
            if gets[seq]!.isProbe { finishProbe(seq) } else { failGet(seq, .transportFailed(reason)) }
        }
    }

    /// A server answered with its generation instead: if it is newer than this client's, the
    /// client's table is stale and the transaction ends; if older, the server is behind and
    /// takes no part, which is noted (`serversBehind`), and the transaction goes on without it.
    private mutating func onStaleGeneration(_ m: StaleGeneration, from server: NodeID) {
        guard m.request.source == configuration.id, m.currentGeneration != table.generation else { return }
        if table.isStale(m.currentGeneration) {
            serversBehind[server] = m.currentGeneration
            return
        }
        let seq = m.request.sequence
        failPut(seq, .staleTable(current: m.currentGeneration))
        failGet(seq, .staleTable(current: m.currentGeneration))
    }
}
