import ReplicastWire

/// The storage server side of the protocol, sans I/O: answers Put Proposals and Get
/// Requests for the rows it belongs to, takes part in cluster consensus, receives
/// rendezvous transfers and serves gets.
///
/// Drive it with `handle(_:now:)` for every decoded message, `storeCompleted` /
/// `loadCompleted` when the storage layer finishes a request, `transferIncomplete` when a
/// transfer's reassembly timed out, and `handleTimeout(now:)` at `nextDeadline`; carry out
/// what `pollActions()` returns.
public struct ServerCore: Sendable {
    public let configuration: ServerConfiguration
    public let table: AllocationTable
    public internal(set) var catalog: ChunkCatalog
    public internal(set) var calendar: IngressCalendar
    /// The reserved inbound rate offered now: lowered by incomplete transfers (`RateCap`).
    var inboundCap: RateCap
    /// Free bytes in the store, as last reported by the runtime.
    public private(set) var freeBytes: UInt64
    /// Counters for logs, benchmarks and simulator invariants.
    public internal(set) var stats = ServerStats()
    /// The newest table generation seen on a message, when it is newer than this server's
    /// own: the server is behind, and needs that table.
    public private(set) var newestPeerGeneration: UInt32?

    var cache: ResponseCache
    /// How long a full round of the Negotiating Group's answers takes to arrive (cluster consensus).
    public internal(set) var answerRounds = RoundTripEstimator()
    var puts: [RequestID: ServerPut] = [:]
    var gets: [RequestID: ServerGet] = [:]
    var pendingStores: [StoreToken: PendingStore] = [:]
    var pendingLoads: [LoadToken: PendingLoad] = [:]
    var groupRefs: [GroupAddress: Int] = [:]
    var pendingWriteBytes: UInt64 = 0
    /// Chunks this server holds whose last read failed (an I/O error), and until when it does
    /// not offer them: a Get Request for one is answered Content Not Immediately Available.
    var unreadable: [HashID: Instant] = [:]
    var egressBusyUntil: Instant = .zero
    /// Paces what this server sends unannounced (every message but a Rendezvous Transfer,
    /// which is booked) within its unsolicited outbound allocation, as a client's requests are.
    public internal(set) var pacer: RequestPacer
    /// The latest time the server was driven at (the `now` of its entry points).
    var clock: Instant = .zero
    var actions: [ServerAction] = []
    private var nextSequence: UInt32 = 1
    private var nextToken: UInt64 = 1
    /// Keep-alive membership (ServerCore+Membership.swift); nil when not configured.
    var keepAlive: ServerKeepAlive?

    public init(configuration: ServerConfiguration, table: AllocationTable, catalog: ChunkCatalog, freeBytes: UInt64) {
        self.configuration = configuration
        self.table = table
        self.catalog = catalog
        // Indefinite reservations are kept for good: the calendar books what is left.
        let standing = configuration.standingReservations.values.reduce(0, +)
        self.calendar = IngressCalendar(reservedRate: configuration.reservedInboundRate - min(standing, configuration.reservedInboundRate))
        self.inboundCap = RateCap(ceiling: calendar.reservedRate)
        self.freeBytes = freeBytes
        self.cache = ResponseCache(capacity: configuration.responseCacheCapacity)
        self.pacer = RequestPacer(
            allocation: configuration.allocation.unsolicitedOutbound, requestCost: configuration.unsolicitedMessageCost,
            burst: configuration.unsolicitedBurst)
        self.nextSequence = max(configuration.firstSequence, 1)
        // A server listens on the Negotiating Group of every row it belongs to.
        for address in Set(table.rows(containing: configuration.id).compactMap { table.row($0)?.addresses.negotiating.first })
            .sorted(by: { $0.description < $1.description }) {
            actions.append(.join(address))
        }
        startKeepAlive()  // membership: joins the control group
    }

    var me: NodeID { configuration.id }

    /// Puts and gets this server still keeps state for (decided or not).
    public var openTransactions: Int { puts.count + gets.count }

    /// Rendezvous Groups this server has joined and not yet left.
    public var joinedRendezvousGroups: Int { groupRefs.count }

    /// The actions produced since the last call, in order.
    public mutating func pollActions() -> [ServerAction] {
        defer { actions.removeAll(keepingCapacity: true) }
        return actions
    }

    /// The earliest time `handleTimeout` must be called.
    public var nextDeadline: Instant? {
        let candidates = puts.values.map(\.deadline) + gets.values.map(\.deadline) + calendar.reservations.map(\.expiry)
        let d = candidates.min()
        guard let k = keepAliveDeadline else { return d }  // membership
        return d.map { min($0, k) } ?? k
    }

    /// Reports the store's free space (after writes, evictions).
    public mutating func updateFreeBytes(_ bytes: UInt64) {
        freeBytes = bytes
    }

    // MARK: - Helpers shared by the put and get halves

    /// How long a member collects its peers' answers before deciding: at least the configured
    /// time, longer when full rounds have been seen to take longer (a slow host or network).
    var collectWait: Duration {
        answerRounds.timeout(
            floor: configuration.collectTimeout, ceiling: .seconds(1), initial: seededInitialCollectTimeout)
    }

    mutating func newID() -> RequestID {
        defer { nextSequence &+= 1 }
        return RequestID(source: me, sequence: nextSequence)
    }

    mutating func newStoreToken() -> StoreToken {
        defer { nextToken += 1 }
        return StoreToken(nextToken)
    }

    mutating func newLoadToken() -> LoadToken {
        defer { nextToken += 1 }
        return LoadToken(nextToken)
    }

    /// Sends a response to `request` and remembers it for replay.
    mutating func respond(_ target: Target, to request: RequestID, _ message: Message, now: Instant) {
        let out = Outbound(target: target, kind: .response, id: newID(), message: message)
        cache.record(out, for: request, now: now)
        actions.append(.send(unsolicited(out)))
    }

    mutating func send(_ target: Target, _ kind: MessageKind, _ message: Message, pacing: RendezvousWindow? = nil) {
        let out = Outbound(target: target, kind: kind, id: newID(), message: message, pacing: pacing)
        actions.append(.send(pacing == nil ? unsolicited(out) : out))
    }

    /// Holds an unannounced message to the unsolicited outbound allocation: it leaves now, or,
    /// once the allocation's burst is spent, when the pacer's rate allows (its pacing window
    /// starts then). A Get Response's immediate content counts on top of the message.
    mutating func unsolicited(_ out: Outbound) -> Outbound {
        var bulk = 0
        if case .getResponse(let m) = out.message { bulk = m.immediate.count }
        var at = clock
        for _ in 0...(bulk / max(configuration.unsolicitedMessageCost, 1)) { at = pacer.schedule(now: clock) }
        guard at > clock else { return out }
        var paced = out
        paced.pacing = RendezvousWindow(start: at, duration: .nanoseconds(1), rate: max(1, configuration.allocation.unsolicitedOutbound))
        return paced
    }

    mutating func join(_ group: GroupAddress) {
        groupRefs[group, default: 0] += 1
        if groupRefs[group] == 1 { actions.append(.join(group)) }
    }

    mutating func leave(_ group: GroupAddress) {
        guard let n = groupRefs[group] else { return }
        if n <= 1 {
            groupRefs[group] = nil
            actions.append(.leave(group))
        } else {
            groupRefs[group] = n - 1
        }
    }

    /// Whether this server belongs to `row` under the current table.
    func isMember(_ row: RowID) -> Bool {
        table.members(of: row).contains(me)
    }

    // MARK: - Entry points

    /// Feeds one decoded message (from a Negotiating Group, a Rendezvous Group or unicast).
    public mutating func handle(_ inbound: Inbound, now: Instant) {
        clock = max(clock, now)
        // Membership: liveness does not depend on the table's generation.
        if case .heartbeat(let h) = inbound.message { return onHeartbeat(h, from: inbound.source, now: now) }
        guard inbound.generation == table.generation else {
            // Generations are serial numbers (they may wrap): `isStale` tells which table is older.
            if table.isStale(inbound.generation) {
                stats.staleMessages += 1  // the sender is behind
            } else {
                // This server is behind: remembered for whoever updates its table.
                stats.newerGenerationSeen += 1
                if newestPeerGeneration.map({ Int32(bitPattern: inbound.generation &- $0) > 0 }) ?? true {
                    newestPeerGeneration = inbound.generation
                }
            }
            // Either way a request is answered with this server's generation, from which the
            // sender learns which of the two is behind; nothing else is acted on.
            if inbound.kind == .request {
                send(.node(inbound.source), .notification,
                     .staleGeneration(StaleGeneration(request: inbound.id, currentGeneration: table.generation)))
            }
            return
        }
        // A retransmitted request is answered from the cache, never acted on twice.
        if inbound.kind == .request, cache.contains(inbound.id) {
            stats.duplicateRequests += 1
            for out in cache.responses(for: inbound.id, now: now) ?? [] { actions.append(.send(unsolicited(out))) }
            return
        }
        switch inbound.message {
        case .putProposal(let m): onPutProposal(m, id: inbound.id, now: now)
        case .putAccept(let m): onPutAccept(m, from: inbound.source, now: now)
        case .rendezvousTransfer(let m): onRendezvousTransfer(m, now: now)
        case .payloadAck(let m): onPayloadAck(m, from: inbound.source, now: now)
        case .relayedAck(let m): onRelayedAck(m)
        case .transferAbort(let m): onTransferAbort(m)
        case .getRequest(let m): onGetRequest(m, id: inbound.id, now: now)
        case .getResponse(let m): onGetResponse(m, now: now)
        case .errorGetResponse(let m): onErrorGetResponse(m, from: inbound.source, now: now)
        case .getAccept(let m): onGetAccept(m, id: inbound.id, now: now)
        case .additionalTargetRequest(let m): onAdditionalTargetRequest(m, from: inbound.source, now: now)
        case .consensusPutAccept(let m): onConsensusPutAccept(m, from: inbound.source, now: now)
        case .payloadNak(let m): onPayloadNak(m, from: inbound.source)
        case .contentNotImmediatelyAvailable(let m): onContentNotImmediatelyAvailable(m, from: inbound.source, now: now)
        case .consensusAck, .staleGeneration, .membershipView:
            break  // addressed to clients
        case .membershipQuery(let m): onMembershipQuery(m, id: inbound.id, now: now)
        case .heartbeat:
            break  // handled above
        }
    }

    /// The storage layer finished a store request.
    public mutating func storeCompleted(token: StoreToken, result: Result<Void, StoreFailure>, now: Instant) {
        clock = max(clock, now)
        guard let work = pendingStores.removeValue(forKey: token) else { return }
        switch work {
        case .put(let proposal, let bytes):
            pendingWriteBytes -= min(pendingWriteBytes, bytes)
            putStored(proposal, bytes: bytes, result: result, now: now)
        case .volunteer(let request, let bytes):
            pendingWriteBytes -= min(pendingWriteBytes, bytes)
            volunteerStored(request, bytes: bytes, result: result)
        }
    }

    /// The storage layer finished a load request.
    public mutating func loadCompleted(token: LoadToken, result: Result<Payload, StoreFailure>, now: Instant) {
        clock = max(clock, now)
        guard let work = pendingLoads.removeValue(forKey: token) else { return }
        getLoaded(work.request, purpose: work.purpose, result: result, now: now)
    }

    /// The runtime's reassembler gave up on a transfer (fragments missing at its timeout).
    public mutating func transferIncomplete(_ transferID: RequestID, now: Instant) {
        clock = max(clock, now)
        // The transfer's id differs from the proposal's by its sub-sequence only: the
        // proposal is the latest one of that transaction sent before the transfer (a server
        // may still hold an earlier attempt's proposal).
        let attempts = puts.keys.filter {
            $0.source == transferID.source && $0.sequence == transferID.sequence && $0.subsequence < transferID.subsequence
        }
        guard let key = attempts.max(by: { $0.subsequence < $1.subsequence }), let p = puts[key], !p.isStoring
        else { return }
        stats.incompleteTransfers += 1
        inboundTransferIncomplete(key)
        nak(key, .incomplete)
    }

    /// Expires reservations and transactions whose time has passed, and decides cluster
    /// consensus rounds whose collection time is over.
    public mutating func handleTimeout(now: Instant) {
        clock = max(clock, now)
        keepAliveTimeout(now: now)  // membership
        for key in calendar.expire(now: now) { stats.expiredReservations += 1; _ = key }
        for key in puts.keys.sorted(by: { ($0.source, $0.sequence, $0.subsequence) < ($1.source, $1.sequence, $1.subsequence) })
        where puts[key].map({ $0.deadline <= now }) ?? false {
            putDeadline(key, now: now)
        }
        for key in gets.keys.sorted(by: { ($0.source, $0.sequence, $0.subsequence) < ($1.source, $1.sequence, $1.subsequence) })
        where gets[key].map({ $0.deadline <= now }) ?? false {
            getDeadline(key, now: now)
        }
    }
}

/// Why the storage layer could not do a request.
public enum StoreFailure: Error, Sendable, Equatable {
    case hashMismatch
    case full
    case notFound
    case corrupt
    case ioError
}

/// A write handed to the storage layer, by token: for which transaction, of how many bytes.
enum PendingStore: Sendable {
    case put(RequestID, bytes: UInt64)
    case volunteer(RequestID, bytes: UInt64)
}

/// A read handed to the storage layer, by token.
struct PendingLoad: Sendable {
    var request: RequestID
    var purpose: LoadPurpose
}

/// Why a chunk is being loaded.
enum LoadPurpose: Sendable {
    case immediate
    case transfer(RendezvousWindow)
}

/// Counters a server keeps.
public struct ServerStats: Sendable, Equatable {
    public var proposals = 0
    public var acceptsOffered = 0
    public var notNow = 0
    public var alreadyStored = 0
    public var chunksStored = 0
    public var volunteerCopies = 0
    public var naks = 0
    public var duplicateRequests = 0
    /// Messages of an older generation than this server's (dropped; a request answered Stale
    /// Generation).
    public var staleMessages = 0
    /// Messages of a newer generation than this server's: this server's table is stale
    /// (dropped; a request answered Stale Generation with this server's generation).
    public var newerGenerationSeen = 0
    public var expiredReservations = 0
    /// Chosen transfer windows this server could not book (it declined the transfer).
    public var declinedWindows = 0
    public var incompleteTransfers = 0
    public var transfersServed = 0
    public var leftNotListed = 0
    /// Rendezvous Transfers listing this server that no booking (nor an indefinite
    /// reservation) covered: refused with Payload NAK `unexpected`, not stored.
    public var unbookedTransfers = 0
    public init() {}
}
