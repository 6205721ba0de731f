import ReplicastWire

/// What a server keeps for the keep-alive service besides its `Membership`: the control
/// group it announces on, and the transitions not yet taken by its host (for logs).
struct ServerKeepAlive: Sendable {
    var membership: Membership
    let controlGroup: GroupAddress
    var transitions: [MembershipTransition] = []
}

extension ServerCore {
    /// The keep-alive membership view of this server (nil when `configuration.membership`
    /// is nil): which peers are up, their incarnations and round trips, and the counters.
    public var membership: Membership? { keepAlive?.membership }

    /// The cluster's control group, when the keep-alive service runs.
    public var controlGroup: GroupAddress? { keepAlive?.controlGroup }

    /// Sets up the keep-alive service at init: joins the control group; the first heartbeat
    /// goes at the first `handleTimeout` (its deadline is `.zero`).
    mutating func startKeepAlive() {
        guard let c = configuration.membership else { return }
        let k = ServerKeepAlive(
            membership: Membership(me: me, servers: table.servers.map(\.id), configuration: c),
            controlGroup: table.controlGroup)
        keepAlive = k
        actions.append(.join(k.controlGroup))
    }

    /// The keep-alive service's next deadline (merged into `nextDeadline`).
    var keepAliveDeadline: Instant? { keepAlive?.membership.nextDeadline }

    /// Sends the heartbeat due and notes peers overdue (from `handleTimeout`).
    mutating func keepAliveTimeout(now: Instant) {
        guard var k = keepAlive, let d = k.membership.nextDeadline, d <= now else { return }
        let (heartbeat, transitions) = k.membership.timeout(now: now)
        k.transitions += transitions
        keepAlive = k
        if let heartbeat { send(.group(k.controlGroup), .notification, .heartbeat(heartbeat)) }
    }

    /// A peer's heartbeat.
    mutating func onHeartbeat(_ h: Heartbeat, from peer: NodeID, now: Instant) {
        guard var k = keepAlive else { return }
        k.transitions += k.membership.heartbeatReceived(h, from: peer, now: now)
        keepAlive = k
    }

    /// A client's Membership Query: the named server answers with the servers it sees down
    /// (a repeated query is answered from the response cache, as every request).
    mutating func onMembershipQuery(_ q: MembershipQuery, id: RequestID, now: Instant) {
        guard q.responder == me, var k = keepAlive else { return }
        k.membership.stats.views += 1
        keepAlive = k
        let view = MembershipView(
            request: id, incarnation: k.membership.configuration.incarnation, echoedSentAt: q.sentAt, hold: .zero,
            down: k.membership.downEntries)
        respond(.node(id.source), to: id, .membershipView(view), now: now)
    }

    /// The liveness transitions since the last call, oldest first (the host logs them).
    public mutating func takeMembershipTransitions() -> [MembershipTransition] {
        guard var k = keepAlive, !k.transitions.isEmpty else { return [] }
        defer { k.transitions = []; keepAlive = k }
        return k.transitions
    }

    /// Stops the keep-alive service: no more heartbeats or judgements (a server shutting
    /// down, a simulation settling). Peers will see this server down.
    public mutating func stopMembership() {
        keepAlive?.membership.stop()
    }

    /// The wait before any answer round was measured: from the slowest round trip to a live
    /// peer measured by heartbeats (SRTT + 4 RTTVAR of that one sample: 3 RTT), or the
    /// configured initial wait without one.
    var seededInitialCollectTimeout: Duration {
        guard let rtt = keepAlive?.membership.slowestRoundTrip else { return configuration.initialCollectTimeout }
        return rtt * 3
    }
}
