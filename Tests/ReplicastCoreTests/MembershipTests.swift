@testable import ReplicastCore
import ReplicastWire
import Testing

/// The keep-alive membership on virtual time: heartbeats, round trips, down and up.
@Suite struct MembershipTests {
    static let t0 = Instant(nanoseconds: 1_000_000_000)
    static let ids = (1...3).map { NodeID(UInt32($0)) }

    /// Servers exchanging heartbeats over a network of fixed one-way latency; a crashed
    /// server sends and receives nothing.
    struct Cluster {
        var members: [NodeID: Membership] = [:]
        var crashed: Set<NodeID> = []
        var inFlight: [(at: Instant, to: NodeID, from: NodeID, heartbeat: Heartbeat)] = []
        var transitions: [(at: Instant, at_: NodeID, MembershipTransition)] = []
        var now = MembershipTests.t0
        let latency: Duration
        let configuration: MembershipConfiguration

        init(latency: Duration = .milliseconds(1), configuration: MembershipConfiguration = MembershipConfiguration()) {
            self.latency = latency
            self.configuration = configuration
            for id in MembershipTests.ids { members[id] = Membership(me: id, servers: MembershipTests.ids, configuration: configuration) }
        }

        mutating func restart(_ id: NodeID, incarnation: UInt64) {
            var c = configuration
            c.incarnation = incarnation
            members[id] = Membership(me: id, servers: MembershipTests.ids, configuration: c)
            crashed.remove(id)
        }

        /// Runs every deadline and delivery up to `end`, in time order.
        mutating func run(until end: Instant) {
            while true {
                let deadlines = members.filter { !crashed.contains($0.key) }.compactMap { id, m in m.nextDeadline.map { (max($0, now), id) } }
                let nextTimer = deadlines.min { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
                let nextDelivery = inFlight.indices.min { inFlight[$0].at < inFlight[$1].at }
                let t = min(nextTimer?.0 ?? end, nextDelivery.map { inFlight[$0].at } ?? end)
                guard t < end else { now = end; return }
                now = t
                if let i = nextDelivery, inFlight[i].at == t {
                    let d = inFlight.remove(at: i)
                    guard !crashed.contains(d.to) else { continue }
                    for tr in members[d.to]!.heartbeatReceived(d.heartbeat, from: d.from, now: t) { transitions.append((t, d.to, tr)) }
                } else if let (_, id) = nextTimer {
                    let (h, trs) = members[id]!.timeout(now: t)
                    for tr in trs { transitions.append((t, id, tr)) }
                    if let h {
                        for peer in MembershipTests.ids where peer != id { inFlight.append((t + latency, peer, id, h)) }
                    }
                }
            }
        }
    }

    @Test("heartbeats echo each other: every server measures the round trip to every peer")
    func roundTrips() {
        var c = Cluster(latency: .milliseconds(1))
        c.run(until: Self.t0 + .seconds(2))
        for id in Self.ids {
            let m = c.members[id]!
            #expect(m.down.isEmpty)
            for peer in Self.ids where peer != id {
                #expect(m.roundTrip(to: peer) == .milliseconds(2), "\(id) to \(peer)")
            }
            #expect(m.stats.heartbeatsSent == 10)
            #expect(m.stats.heartbeatsReceived >= 18)
        }
        #expect(c.transitions.isEmpty)
    }

    @Test("a crashed server is seen down by every other within downAfter, and up again after its restart")
    func downAndUp() {
        var c = Cluster()
        c.run(until: Self.t0 + .seconds(1))
        let crashAt = c.now
        c.crashed.insert(NodeID(3))
        c.run(until: crashAt + .seconds(2))
        for id in [NodeID(1), NodeID(2)] {
            #expect(c.members[id]!.down == [NodeID(3)])
            let down = c.transitions.filter { $0.at_ == id && $0.2 == .down(NodeID(3), incarnation: 1) }
            #expect(down.count == 1)
            // Last heard at most one interval (+ latency) before the crash; down after 1 s of silence.
            if let at = down.first?.at { #expect(at - crashAt <= .seconds(1) + .milliseconds(1)) }
            #expect(c.members[id]!.stats.downTransitions == 1)
        }
        let restartAt = c.now
        c.restart(NodeID(3), incarnation: 2)
        c.run(until: restartAt + .milliseconds(300))
        for id in [NodeID(1), NodeID(2)] {
            #expect(c.members[id]!.down.isEmpty)
            #expect(c.members[id]!.peers[NodeID(3)]!.incarnation == 2)
            let up = c.transitions.filter { $0.at_ == id && $0.2 == .up(NodeID(3), incarnation: 2, restarted: true) }
            #expect(up.count == 1)
            if let at = up.first?.at { #expect(at - restartAt <= .milliseconds(1)) }
        }
        // The restarted server presumes its peers up and hears them at once.
        #expect(c.members[NodeID(3)]!.down.isEmpty)
    }

    @Test("a restart faster than downAfter is still seen, by the new incarnation")
    func fastRestart() {
        var c = Cluster()
        c.run(until: Self.t0 + .milliseconds(500))
        c.crashed.insert(NodeID(2))
        c.run(until: Self.t0 + .milliseconds(700))
        c.restart(NodeID(2), incarnation: 5)
        c.run(until: Self.t0 + .milliseconds(900))
        #expect(c.transitions.contains { $0.at_ == NodeID(1) && $0.2 == .up(NodeID(2), incarnation: 5, restarted: true) })
        #expect(!c.transitions.contains { if case .down = $0.2 { true } else { false } })
        #expect(c.members[NodeID(1)]!.stats.restarts == 1)
    }

    @Test("a late heartbeat of an earlier incarnation is ignored")
    func staleIncarnation() {
        var m = Membership(me: NodeID(1), servers: Self.ids, configuration: MembershipConfiguration())
        _ = m.timeout(now: Self.t0)
        _ = m.heartbeatReceived(Heartbeat(incarnation: 4, sentAt: Self.t0, echoes: []), from: NodeID(2), now: Self.t0)
        let late = m.heartbeatReceived(Heartbeat(incarnation: 3, sentAt: Self.t0, echoes: []), from: NodeID(2), now: Self.t0 + .seconds(1))
        #expect(late.isEmpty)
        #expect(m.stats.staleHeartbeats == 1)
        // Not refreshed by the stale one: down 1 s after the last good heartbeat.
        let (_, transitions) = m.timeout(now: Self.t0 + .seconds(1))
        #expect(transitions.contains(.down(NodeID(2), incarnation: 4)))
    }

    @Test("a server never heard is down downAfter after the start; a heartbeat echoes at most 64 peers")
    func neverHeardAndEchoCap() {
        let many = (1...100).map { NodeID(UInt32($0)) }
        var m = Membership(me: NodeID(1), servers: many, configuration: MembershipConfiguration())
        let (first, _) = m.timeout(now: Self.t0)
        #expect(first?.echoes.isEmpty == true)
        for id in many.dropFirst() {
            _ = m.heartbeatReceived(Heartbeat(incarnation: 1, sentAt: Self.t0, echoes: []), from: id, now: Self.t0 + .milliseconds(10))
        }
        let (second, _) = m.timeout(now: Self.t0 + .milliseconds(200))
        #expect(second?.echoes.count == 64)
        #expect(second?.echoes.first?.hold == .milliseconds(190))
        let (third, _) = m.timeout(now: Self.t0 + .milliseconds(400))
        #expect(third?.echoes.count == 35)  // the rest, held longer
        let (_, transitions) = m.timeout(now: Self.t0 + .milliseconds(1010))
        #expect(transitions.count == 99)
    }

    // MARK: - In the cores

    static func membershipTable() throws -> AllocationTable { try OneRow.table() }

    @Test("a server core joins the control group, heartbeats at its first timeout, answers a query with the down list")
    func serverCore() throws {
        let table = try OneRow.table()
        var c = ServerConfiguration(id: NodeID(1))
        c.membership = MembershipConfiguration()
        var core = ServerCore(configuration: c, table: table, catalog: ChunkCatalog(), freeBytes: 1 << 30)
        #expect(core.pollActions().contains(.join(table.controlGroup)))
        #expect(table.controlGroup == GroupAddress(ipv4: 239, 79, 0, 1, port: 7077))  // 1 row: 239.79.0.0 + 1
        #expect(core.nextDeadline == .zero)
        core.handleTimeout(now: Self.t0)
        let sent = core.pollActions().compactMap { a -> Outbound? in if case .send(let o) = a { o } else { nil } }
        #expect(sent.count == 1)
        #expect(sent.first?.target == .group(table.controlGroup))
        guard case .heartbeat(let h)? = sent.first?.message else { Issue.record("no heartbeat"); return }
        #expect(h.sentAt == Self.t0)
        #expect(core.nextDeadline == Self.t0 + .milliseconds(200))

        // s2 heartbeats; s3 stays silent and goes down.
        for k in 0..<6 {
            let t = Self.t0 + .milliseconds(200 * Int64(k))
            core.handle(Inbound(kind: .notification, id: RequestID(source: NodeID(2), sequence: UInt32(k + 1)), generation: 0,
                                message: .heartbeat(Heartbeat(incarnation: 1, sentAt: t, echoes: []))), now: t)
            core.handleTimeout(now: t)
        }
        #expect(core.membership?.down == [NodeID(3)])
        #expect(core.takeMembershipTransitions() == [.down(NodeID(3), incarnation: 0)])
        _ = core.pollActions()
        let query = RequestID(source: OneRow.client, sequence: 9)
        core.handle(Inbound(kind: .request, id: query, generation: table.generation,
                            message: .membershipQuery(MembershipQuery(responder: NodeID(1), sentAt: Self.t0))), now: Self.t0 + .seconds(1))
        let answers = core.pollActions().compactMap { a -> Outbound? in if case .send(let o) = a { o } else { nil } }
        #expect(answers.map(\.target) == [.node(OneRow.client)])
        guard case .membershipView(let v)? = answers.first?.message else { Issue.record("no view"); return }
        #expect(v.request == query)
        #expect(v.down == [MembershipView.Down(node: NodeID(3), incarnation: 0)])
        // A query for another server is not answered.
        core.handle(Inbound(kind: .request, id: RequestID(source: OneRow.client, sequence: 10), generation: table.generation,
                            message: .membershipQuery(MembershipQuery(responder: NodeID(2), sentAt: Self.t0))), now: Self.t0 + .seconds(1))
        #expect(core.pollActions().isEmpty)
    }

    @Test("without a membership configuration a server has no timer and joins no control group")
    func serverCoreOff() throws {
        let table = try OneRow.table()
        var core = ServerCore(configuration: ServerConfiguration(id: NodeID(1)), table: table, catalog: ChunkCatalog(), freeBytes: 1)
        #expect(!core.pollActions().contains(.join(table.controlGroup)))
        #expect(core.nextDeadline == nil)
    }

    /// The client's actions' sends.
    static func sends(_ actions: [ClientAction]) -> [Outbound] {
        actions.compactMap { if case .send(let o) = $0 { o } else { nil } }
    }

    @Test("a client with a view that shows a member down decides its put as soon as the live members answered")
    func clientSkipsDeadMember() throws {
        var client = try OneRowClient { $0.membership = ClientMembershipConfiguration() }
        let t0 = Self.t0
        let first = try client.propose(1, at: t0)
        // The query is due at once while a transaction is in flight.
        #expect(client.core.nextDeadline == .zero)
        client.core.handleTimeout(now: t0)
        let queries = Self.sends(client.core.pollActions())
        guard case .membershipQuery(let q)? = queries.first?.message else { Issue.record("no query"); return }
        #expect(queries.first?.target == .group(client.table.controlGroup))
        #expect(q.responder == NodeID(1))
        let window = RendezvousWindow(start: t0 + .milliseconds(5), duration: .milliseconds(1), rate: 1_000_000_000)
        client.answer(first, from: NodeID(1), window: window, at: t0 + .microseconds(100))
        client.answer(first, from: NodeID(2), window: window, at: t0 + .microseconds(120))
        #expect(Self.sends(client.core.pollActions()).isEmpty)  // still waiting for s3
        // The view says s3 is down: the round is decided at once.
        client.core.handle(
            Inbound(kind: .response, id: RequestID(source: NodeID(1), sequence: 77), generation: client.table.generation,
                    message: .membershipView(MembershipView(
                        request: queries[0].id, incarnation: 1, echoedSentAt: t0, hold: .zero,
                        down: [MembershipView.Down(node: NodeID(3), incarnation: 1)]))),
            now: t0 + .microseconds(150))
        let after = Self.sends(client.core.pollActions())
        #expect(after.contains { if case .rendezvousTransfer = $0.message { true } else { false } })
        #expect(client.core.liveness?.down == [NodeID(3)])
        #expect(client.core.liveness?.roundTrips.smoothed == .microseconds(150))

        // The next put waits only for s1 and s2, and its wait is seeded from the query's RTT.
        let second = try client.propose(2, at: t0 + .milliseconds(1))
        #expect(client.core.collectWait(attempt: 1) == client.configuration.collectTimeout)  // 3 × 150 µs, floored
        client.answer(second, from: NodeID(1), window: window, at: t0 + .milliseconds(1) + .microseconds(100))
        client.answer(second, from: NodeID(2), window: window, at: t0 + .milliseconds(1) + .microseconds(110))
        #expect(Self.sends(client.core.pollActions()).contains { if case .rendezvousTransfer = $0.message { true } else { false } })
    }

    @Test("an unanswered query moves on to the next server not seen down; an idle client sends none")
    func clientRotatesResponder() throws {
        var client = try OneRowClient { $0.membership = ClientMembershipConfiguration() }
        #expect(client.core.nextDeadline == nil)
        _ = try client.propose(1, at: Self.t0)
        client.core.handleTimeout(now: Self.t0)
        _ = client.core.pollActions()
        client.core.handleTimeout(now: Self.t0 + .milliseconds(200))
        let q = Self.sends(client.core.pollActions()).compactMap { if case .membershipQuery(let q) = $0.message { q } else { nil } }
        #expect(q.map(\.responder) == [NodeID(2)])
    }
}
