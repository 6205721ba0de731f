import ReplicastWire

/// How a server announces itself and judges its peers (docs/PROTOCOL.md § 15).
public struct MembershipConfiguration: Sendable, Equatable {
    /// Time between two heartbeats of a server.
    public var interval: Duration = .milliseconds(200)
    /// A peer not heard for this long is down (about 5 missed heartbeats by default).
    public var downAfter: Duration = .seconds(1)
    /// This server's incarnation: must grow with every restart (the runtime uses its start
    /// time in ns, the simulator its restart count), so peers see a restart as one.
    public var incarnation: UInt64 = 1

    public init(interval: Duration = .milliseconds(200), downAfter: Duration = .seconds(1), incarnation: UInt64 = 1) {
        self.interval = interval
        self.downAfter = downAfter
        self.incarnation = incarnation
    }
}

/// What one server knows of one peer.
public struct PeerLiveness: Sendable, Equatable {
    /// Whether the peer is up: heard within `downAfter` (or not yet overdue since start).
    public internal(set) var isUp = true
    /// The incarnation last heard from it; 0 if never heard.
    public internal(set) var incarnation: UInt64 = 0
    /// When it was last heard (or when this server started watching it).
    public internal(set) var lastHeard: Instant?
    /// Round trips measured through heartbeat echoes.
    public internal(set) var roundTrip = RoundTripEstimator()
    /// The peer's latest heartbeat not yet echoed: its send time and its arrival here.
    var pendingEcho: (sentAt: Instant, arrivedAt: Instant)?

    public static func == (a: PeerLiveness, b: PeerLiveness) -> Bool {
        a.isUp == b.isUp && a.incarnation == b.incarnation && a.lastHeard == b.lastHeard && a.roundTrip == b.roundTrip
    }
}

/// A change of a peer's liveness.
public enum MembershipTransition: Sendable, Equatable, CustomStringConvertible {
    /// Not heard for `downAfter`.
    case down(NodeID, incarnation: UInt64)
    /// Heard again after being down, or heard with a new incarnation (it restarted, maybe
    /// faster than `downAfter`: whatever it held in memory is gone).
    case up(NodeID, incarnation: UInt64, restarted: Bool)

    public var description: String {
        switch self {
        case .down(let n, let i): "\(n) down (incarnation \(i))"
        case .up(let n, let i, let r): "\(n) up (incarnation \(i)\(r ? ", restarted" : ""))"
        }
    }
}

/// Counters of the keep-alive service.
public struct MembershipStats: Sendable, Equatable {
    public var heartbeatsSent = 0
    public var heartbeatsReceived = 0
    /// Heartbeats of an older incarnation than one already heard (late datagrams).
    public var staleHeartbeats = 0
    public var downTransitions = 0
    public var upTransitions = 0
    /// Up transitions that were restarts (a new incarnation).
    public var restarts = 0
    /// Membership Queries answered (servers) or Membership Views received (clients).
    public var views = 0
    public init() {}
}

/// The keep-alive membership of one server, sans I/O: it decides when to send heartbeats,
/// what they echo, and when a peer goes down or comes back up. Liveness is a view, not a
/// table change: a down server stays in the table.
///
/// Feed it `heartbeatReceived` for every peer's heartbeat and `timeout(now:)` at
/// `nextDeadline`; the first `timeout` starts it (the first heartbeat, and every peer gets
/// `downAfter` from then to be heard).
public struct Membership: Sendable {
    public let configuration: MembershipConfiguration
    public let me: NodeID
    /// Every other server of the table, by id.
    public private(set) var peers: [NodeID: PeerLiveness]
    public internal(set) var stats = MembershipStats()
    /// When this incarnation started watching (its first `timeout`).
    public private(set) var startedAt: Instant?
    private var nextHeartbeat: Instant = .zero
    private var stopped = false
    private var echoCursor = 0
    private let order: [NodeID]

    public init(me: NodeID, servers: [NodeID], configuration: MembershipConfiguration) {
        self.me = me
        self.configuration = configuration
        let others = Set(servers).subtracting([me]).sorted()
        self.order = others
        self.peers = Dictionary(uniqueKeysWithValues: others.map { ($0, PeerLiveness()) })
    }

    /// Whether `node` is up as far as this server knows (itself always; a node it does not
    /// watch, e.g. a client, too).
    public func isUp(_ node: NodeID) -> Bool { peers[node]?.isUp ?? true }

    /// The peers seen down, ascending.
    public var down: [NodeID] { order.filter { peers[$0]?.isUp == false } }

    /// The smoothed round trip to `peer`, once measured.
    public func roundTrip(to peer: NodeID) -> Duration? { peers[peer]?.roundTrip.smoothed }

    /// The largest smoothed round trip to any peer that is up (nil before any was measured):
    /// what a round waiting on several peers should expect at least.
    public var slowestRoundTrip: Duration? {
        order.compactMap { peers[$0]!.isUp ? peers[$0]!.roundTrip.smoothed : nil }.max()
    }

    /// The earliest time `timeout` must be called: the next heartbeat, or the moment an up
    /// peer becomes overdue. Nil once stopped.
    public var nextDeadline: Instant? {
        guard !stopped else { return nil }
        guard startedAt != nil else { return nextHeartbeat }
        var d = nextHeartbeat
        for peer in peers.values where peer.isUp {
            if let heard = peer.lastHeard { d = min(d, heard + configuration.downAfter) }
        }
        return d
    }

    /// Stops sending heartbeats and judging peers (a server shutting down, or a simulation
    /// settling: nothing periodic is left).
    public mutating func stop() { stopped = true }

    /// A peer's heartbeat arrived at `now`. Returns the transitions it causes.
    public mutating func heartbeatReceived(_ h: Heartbeat, from peer: NodeID, now: Instant) -> [MembershipTransition] {
        guard !stopped, var p = peers[peer] else { return [] }
        stats.heartbeatsReceived += 1
        guard h.incarnation >= p.incarnation else {
            stats.staleHeartbeats += 1
            return []
        }
        let restarted = p.incarnation != 0 && h.incarnation > p.incarnation
        p.incarnation = h.incarnation
        p.lastHeard = now
        p.pendingEcho = (h.sentAt, now)
        // Our own heartbeat echoed: its send time is on our clock, the hold on the peer's.
        if let echo = h.echoes.first(where: { $0.peer == me }), let startedAt, echo.sentAt >= startedAt {
            let rtt = (now - echo.sentAt) - echo.hold
            if rtt > .zero && rtt < configuration.downAfter { p.roundTrip.add(rtt) }
        }
        var transitions: [MembershipTransition] = []
        if !p.isUp || restarted {
            p.isUp = true
            stats.upTransitions += 1
            if restarted {
                stats.restarts += 1
                p.roundTrip = RoundTripEstimator()
            }
            transitions.append(.up(peer, incarnation: h.incarnation, restarted: restarted))
        }
        peers[peer] = p
        return transitions
    }

    /// Time passed: peers overdue go down, and a heartbeat is due or not.
    public mutating func timeout(now: Instant) -> (heartbeat: Heartbeat?, transitions: [MembershipTransition]) {
        guard !stopped else { return (nil, []) }
        if startedAt == nil {
            startedAt = now
            for id in order where peers[id]!.lastHeard == nil { peers[id]!.lastHeard = now }
            nextHeartbeat = now
        }
        var transitions: [MembershipTransition] = []
        for id in order {
            guard var p = peers[id], p.isUp, let heard = p.lastHeard, heard + configuration.downAfter <= now else { continue }
            p.isUp = false
            p.pendingEcho = nil
            peers[id] = p
            stats.downTransitions += 1
            transitions.append(.down(id, incarnation: p.incarnation))
        }
        guard nextHeartbeat <= now else { return (nil, transitions) }
        nextHeartbeat = max(nextHeartbeat + configuration.interval, now + configuration.interval / 2)
        stats.heartbeatsSent += 1
        return (Heartbeat(incarnation: configuration.incarnation, sentAt: now, echoes: takeEchoes(now: now)), transitions)
    }

    /// The down list of a Membership View (at most 64 entries, lowest ids first).
    public var downEntries: [MembershipView.Down] {
        down.prefix(WireFormat.maxNodeList).map { MembershipView.Down(node: $0, incarnation: peers[$0]!.incarnation) }
    }

    /// Echoes of the heartbeats heard since the last one sent, at most 64: with more peers,
    /// the rest wait for the next heartbeat (their hold says how long), taken in turns.
    private mutating func takeEchoes(now: Instant) -> [Heartbeat.Echo] {
        var waiting = order.filter { peers[$0]!.pendingEcho != nil }
        guard !waiting.isEmpty else { return [] }
        if waiting.count > WireFormat.maxNodeList {
            let start = echoCursor % waiting.count
            waiting = Array(waiting[start...] + waiting[..<start]).prefix(WireFormat.maxNodeList).sorted()
            echoCursor += WireFormat.maxNodeList
        }
        return waiting.map { id in
            let e = peers[id]!.pendingEcho!
            peers[id]!.pendingEcho = nil
            return Heartbeat.Echo(peer: id, sentAt: e.sentAt, hold: now - e.arrivedAt)
        }
    }
}
