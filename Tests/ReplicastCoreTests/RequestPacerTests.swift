import ReplicastCore
import ReplicastWire
import Testing

/// Unsolicited requests are paced within the unsolicited outbound allocation, and the pace
/// adapts to unanswered requests.
@Suite struct RequestPacerTests {
    let t0 = Instant(nanoseconds: 1_000_000_000)

    @Test("requests beyond the allocation wait, in order")
    func pacing() {
        // 2560 B/s of 256-byte requests: 10 per second, 2 at once.
        var pacer = RequestPacer(allocation: 2560, requestCost: 256, burst: 2)
        let times = (0..<4).map { _ in pacer.schedule(now: t0) }
        #expect(times == [t0, t0, t0 + .milliseconds(100), t0 + .milliseconds(200)])
        // A second later the bucket is full again.
        #expect(pacer.schedule(now: t0 + .seconds(2)) == t0 + .seconds(2))
    }

    @Test("unanswered requests halve the pace down to a floor; answers restore it")
    func adaptation() {
        var pacer = RequestPacer(allocation: 6400, requestCost: 100, burst: 1)  // 64 per second
        pacer.unanswered()
        #expect(pacer.rate == 32)
        for _ in 0..<20 { pacer.unanswered() }
        #expect(pacer.rate == pacer.minimumRate)
        #expect(pacer.minimumRate == 1)
        for _ in 0..<16 { pacer.answered() }
        #expect(pacer.rate == pacer.nominalRate)
    }

    @Test("a client holds proposals the pacer does not let go yet, and sends them on time")
    func clientHoldsProposals() throws {
        let table = try OneRow.table()
        var c = ClientConfiguration(id: OneRow.client)
        c.allocation.unsolicitedOutbound = 2560  // 10 requests per second
        c.requestCost = 256
        c.requestBurst = 1
        c.collectTimeout = .seconds(5)
        var client = ClientCore(configuration: c, table: table)
        for i in 0..<3 {
            let payload = Payload(copying: [UInt8](repeating: UInt8(i), count: 1000))
            _ = client.put(payload, contentHash: ContentHash.of(payload), now: t0)
        }
        func proposals(_ actions: [ClientAction]) -> Int {
            actions.filter { if case .send(let o) = $0, case .putProposal = o.message { return true } else { return false } }.count
        }
        #expect(proposals(client.pollActions()) == 1)
        #expect(client.nextDeadline == t0 + .milliseconds(100))
        client.handleTimeout(now: t0 + .milliseconds(100))
        #expect(proposals(client.pollActions()) == 1)
        client.handleTimeout(now: t0 + .milliseconds(200))
        #expect(proposals(client.pollActions()) == 1)
    }
}
