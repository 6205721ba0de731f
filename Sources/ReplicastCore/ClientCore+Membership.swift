import ReplicastWire

/// How a client keeps its liveness view (docs/PROTOCOL.md § 15.4).
public struct ClientMembershipConfiguration: Sendable, Equatable {
    /// While transactions are in flight, a Membership Query goes out this often.
    public var refresh: Duration = .milliseconds(200)
    /// A view older than this is forgotten (every server presumed up again).
    public var staleAfter: Duration = .seconds(2)

    public init(refresh: Duration = .milliseconds(200), staleAfter: Duration = .seconds(2)) {
        self.refresh = refresh
        self.staleAfter = staleAfter
    }
}

/// A client's view of which servers are down, learnt from any server through Membership
/// Query / Membership View; and the round trips of those queries.
public struct ClientLivenessView: Sendable {
    public let configuration: ClientMembershipConfiguration
    let servers: [NodeID]
    let controlGroup: GroupAddress
    /// Servers the latest view lists as down.
    public private(set) var down: Set<NodeID> = []
    /// When the latest view arrived, and from whom.
    public private(set) var updatedAt: Instant?
    public private(set) var source: NodeID?
    /// Round trips of the queries (client to one server and back).
    public private(set) var roundTrips = RoundTripEstimator()
    public private(set) var queriesSent = 0
    public private(set) var viewsReceived = 0
    var lastQuery: (id: RequestID, responder: NodeID, at: Instant, answered: Bool)?
    var cursor = 0

    init(configuration: ClientMembershipConfiguration, table: AllocationTable) {
        self.configuration = configuration
        self.servers = table.servers.map(\.id).sorted()
        self.controlGroup = table.controlGroup
    }

    /// Whether `node` counts as up (always, without a view).
    public func isUp(_ node: NodeID) -> Bool { !down.contains(node) }

    /// When the next query is due while transactions are in flight.
    var nextQuery: Instant { lastQuery.map { $0.at + configuration.refresh } ?? .zero }

    /// The next query: to the server that answered the last one, or, if it did not, to the
    /// next server (in id order) not seen down.
    mutating func query(id: RequestID, now: Instant) -> MembershipQuery? {
        if let updatedAt, now - updatedAt > configuration.staleAfter { down = [] }
        guard !servers.isEmpty else { return nil }
        if let last = lastQuery, !last.answered { cursor += 1 }
        var responder = servers[cursor % servers.count]
        for i in 0..<servers.count where isUp(servers[(cursor + i) % servers.count]) {
            cursor += i
            responder = servers[cursor % servers.count]
            break
        }
        lastQuery = (id, responder, now, false)
        queriesSent += 1
        return MembershipQuery(responder: responder, sentAt: now)
    }

    /// A view arrived. Returns the servers newly seen down.
    mutating func received(_ v: MembershipView, from server: NodeID, now: Instant) -> Set<NodeID> {
        guard let last = lastQuery, last.id == v.request else { return [] }
        lastQuery?.answered = true
        let rtt = (now - v.echoedSentAt) - v.hold
        if rtt > .zero { roundTrips.add(rtt) }
        let newDown = Set(v.down.map(\.node)).intersection(servers)
        defer { down = newDown }
        viewsReceived += 1
        updatedAt = now
        source = server
        return newDown.subtracting(down)
    }
}

extension ClientCore {
    /// This client's liveness view (nil when `configuration.membership` is nil).
    public var liveness: ClientLivenessView? { livenessView }

    /// The members of `row` whose answers a round waits for: those not seen down (all of
    /// them if every one is seen down: a view cannot be more right than the table).
    func expectedAnswerers(of row: RowID) -> [NodeID] {
        let members = table.members(of: row)
        guard let view = livenessView else { return members }
        let live = members.filter(view.isUp)
        return live.isEmpty ? members : live
    }

    /// The next query's time, while transactions are in flight (merged into `nextDeadline`).
    var livenessDeadline: Instant? {
        guard let view = livenessView, inFlight > 0 else { return nil }
        return view.nextQuery
    }

    /// Sends the query due (from `handleTimeout`).
    mutating func livenessTimeout(now: Instant) {
        guard var view = livenessView, inFlight > 0, view.nextQuery <= now else { return }
        let id = RequestID(source: configuration.id, sequence: allocate().1)
        if let q = view.query(id: id, now: now) { emit(.group(view.controlGroup), .request, id, .membershipQuery(q)) }
        livenessView = view
    }

    /// A Membership View: rounds that now have every live member's answer are decided at
    /// once instead of waiting for a member that is down.
    mutating func onMembershipView(_ v: MembershipView, from server: NodeID, now: Instant) {
        guard var view = livenessView else { return }
        let newlyDown = view.received(v, from: server, now: now)
        livenessView = view
        guard !newlyDown.isEmpty else { return }
        for seq in puts.keys.sorted() {
            guard let t = puts[seq], t.consensus == .client, case .negotiating = t.phase,
                  Set(expectedAnswerers(of: t.row)).isSubset(of: t.answers.keys) else { continue }
            decide(seq, now: now)
        }
        for seq in gets.keys.sorted() {
            guard let t = gets[seq], t.consensus == .client, case .requesting = t.phase, answeredByAll(t) else { continue }
            chooseResponder(seq, now: now)
        }
    }

    /// The wait before any round trip was measured: from the queries' round trips (SRTT +
    /// 4 RTTVAR of one sample: 3 RTT), or the configured initial wait without one.
    var seededInitialCollectTimeout: Duration {
        guard let rtt = livenessView?.roundTrips.smoothed else { return configuration.initialCollectTimeout }
        return rtt * 3
    }
}
