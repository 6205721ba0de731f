import ReplicastCore
import ReplicastSimulator
import ReplicastWire
import Testing

/// The keep-alive membership in the simulator: real cores in real drivers, heartbeats over
/// the modelled network, a server crashed and restarted by the script.
@Suite struct MembershipSimulationTests {
    static func configuration(clientMembership: Bool = true) -> SimulationConfiguration {
        var c = SimulationConfiguration(seed: 11)
        c.servers = 6
        c.clients = 1
        c.transactions = 0
        c.replicas = 2
        c.serverTuning = { $0.membership = MembershipConfiguration() }
        c.clientTuning = { if clientMembership { $0.membership = ClientMembershipConfiguration() } }
        return c
    }

    @Test("a crashed server is seen down by every other server within downAfter, and up again after its restart")
    func crashSeenByEveryServer() throws {
        let sim = try Simulation(configuration: Self.configuration())
        sim.boot()
        sim.advance(to: sim.time + .seconds(1))
        let ids = sim.serverIDs
        for id in ids { #expect(sim.membership(of: id)?.down == [], "\(id)") }
        // Every pair measured its round trip (a few µs on the modelled switch).
        let rtt = try #require(sim.membership(of: ids[0])?.roundTrip(to: ids[1]))
        #expect(rtt > .zero && rtt < .milliseconds(1))

        let victim = ids[2]
        let others = ids.filter { $0 != victim }
        let crashAt = sim.time
        sim.crash(server: victim)
        let allSee = sim.advance(to: crashAt + .seconds(3)) {
            others.allSatisfy { sim.membership(of: $0)?.isUp(victim) == false }
        }
        #expect(allSee)
        let seenAfter = sim.time - crashAt
        #expect(seenAfter <= .seconds(1) + .milliseconds(1), "seen down by all after \(seenAfter)")
        #expect(seenAfter >= .milliseconds(700), "seen down too early: \(seenAfter)")
        for id in others {
            #expect(sim.membership(of: id)?.down == [victim])
            #expect(sim.membership(of: id)?.stats.downTransitions == 1)
        }

        sim.advance(to: crashAt + .seconds(2))
        let restartAt = sim.time
        sim.restart(server: victim)
        let allUp = sim.advance(to: restartAt + .seconds(1)) {
            others.allSatisfy { sim.membership(of: $0)?.isUp(victim) == true }
        }
        #expect(allUp)
        #expect(sim.time - restartAt <= .milliseconds(5), "seen up by all after \(sim.time - restartAt)")
        for id in others {
            #expect(sim.membership(of: id)?.peers[victim]?.incarnation == 2)
            #expect(sim.membership(of: id)?.stats.upTransitions == 1)
            #expect(sim.membership(of: id)?.stats.restarts == 1)
        }
        sim.advance(to: sim.time + .milliseconds(500))
        #expect(sim.membership(of: victim)?.down == [])
        #expect(sim.reportSoFar.violations.isEmpty)
    }

    /// A chunk whose row has `member` among its members.
    static func payload(inRowOf member: NodeID, _ sim: Simulation) -> Payload {
        var i: UInt32 = 0
        while true {
            var bytes = [UInt8](repeating: 0x5A, count: 20_000)
            withUnsafeBytes(of: i.bigEndian) { bytes.replaceSubrange(0..<4, with: $0) }
            let p = Payload(copying: bytes)
            if sim.rowMembers(of: ContentHash.of(p)).contains(member) { return p }
            i += 1
        }
    }

    /// Boots, crashes `ids[2]`, lets the servers notice, then puts and gets a chunk of its
    /// row; returns how long the put and the get took.
    static func putAndGetWithMemberDown(clientMembership: Bool) throws -> (put: Duration, get: Duration, sim: Simulation) {
        let sim = try Simulation(configuration: configuration(clientMembership: clientMembership))
        sim.boot()
        sim.advance(to: sim.time + .seconds(1))
        let victim = sim.serverIDs[2]
        sim.crash(server: victim)
        sim.advance(to: sim.time + .milliseconds(1500))
        let payload = payload(inRowOf: victim, sim)
        let putStart = sim.time
        sim.scriptedPut(client: 0, payload)
        #expect(sim.advance(to: putStart + .seconds(10)) { sim.isIdle(client: 0) })
        let put = sim.time - putStart
        sim.advance(to: sim.time + .milliseconds(300))  // a fresh view for the get
        let getStart = sim.time
        sim.scriptedGet(client: 0, ContentHash.of(payload))
        #expect(sim.advance(to: getStart + .seconds(10)) { sim.isIdle(client: 0) })
        let get = sim.time - getStart
        let report = sim.reportSoFar
        #expect(report.puts.acknowledged == 1)
        #expect(report.gets.succeeded == 1)
        #expect(report.violations.isEmpty, "\(report.violations)")
        return (put, get, sim)
    }

    @Test("a put and a get with one row member down finish without waiting the collection time for it")
    func clientSkipsDownMember() throws {
        let (put, get, sim) = try Self.putAndGetWithMemberDown(clientMembership: true)
        let initialWait = ClientConfiguration(id: NodeID.firstClient).initialCollectTimeout
        #expect(put < .milliseconds(20), "put took \(put)")
        #expect(get < .milliseconds(20), "get took \(get)")
        #expect(sim.clientCore(0).liveness?.down == [sim.serverIDs[2]])
        #expect(put < initialWait && get < initialWait)
    }

    @Test("without the client's view, the same put waits the whole collection time for the dead member")
    func withoutViewTheRoundWaits() throws {
        let (put, _, _) = try Self.putAndGetWithMemberDown(clientMembership: false)
        #expect(put >= ClientConfiguration(id: NodeID.firstClient).initialCollectTimeout, "put took \(put)")
    }

    @Test("a simulated workload run with the keep-alive service on still settles and verifies")
    func workloadWithMembership() throws {
        var c = Self.configuration()
        c.transactions = 60
        c.clients = 2
        c.faults.crashes = 1
        c.faults.downtime = .milliseconds(1500)...(.milliseconds(1500))
        let report = try Simulation(configuration: c).run()
        #expect(report.violations.isEmpty, "\(report.violations)")
        #expect(report.crashes == 1)
    }
}
