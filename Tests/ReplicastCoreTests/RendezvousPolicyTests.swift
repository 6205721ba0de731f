import ReplicastCore
import ReplicastWire
import Testing

@Suite("Default rendezvous policy")
struct RendezvousPolicyTests {
    let policy = DefaultRendezvousPolicy()
    func window(_ startMicros: UInt64, rate: UInt64 = 1_000_000_000) -> RendezvousWindow {
        RendezvousWindow(start: Instant(nanoseconds: startMicros * 1000), duration: .milliseconds(1), rate: rate)
    }
    func ids(_ xs: [UInt32]) -> [NodeID] { xs.map { NodeID($0) } }

    @Test("earliest windows in distinct zones, window is the latest start and slowest rate")
    func earliestDistinctZones() {
        let zones: [NodeID: String] = [NodeID(1): "a", NodeID(2): "a", NodeID(3): "b", NodeID(4): "c", NodeID(5): "d"]
        let offers = [NodeID(1): window(10), NodeID(2): window(5), NodeID(3): window(30), NodeID(4): window(20, rate: 500_000_000), NodeID(5): window(90)]
        let d = policy.choose(RendezvousInput(
            replicas: 3, designated: ids([1, 2, 3, 4, 5]), zones: zones, alreadyStored: [], offers: offers,
            length: 1_000_000, maxRate: 2_000_000_000))
        guard case .transfer(let members, let w) = d else { Issue.record("expected a transfer, got \(d)"); return }
        // 2 (zone a, earliest), then 4 (zone c), then 3 (zone b); 1 shares zone a with 2.
        #expect(members == ids([2, 3, 4]))
        #expect(w.start == Instant(nanoseconds: 30_000))
        #expect(w.rate == 500_000_000)
        #expect(w.duration == .nanoseconds(2_000_001))
    }

    @Test("already stored replicas count towards K; enough of them means no transfer")
    func dedup() {
        let d = policy.choose(RendezvousInput(
            replicas: 3, designated: ids([1, 2, 3]), zones: [:], alreadyStored: ids([1, 2, 3]),
            offers: [NodeID(4): window(1)], length: 10, maxRate: 1000))
        #expect(d == .sufficient)
        let partial = policy.choose(RendezvousInput(
            replicas: 3, designated: ids([1, 2, 3]), zones: [:], alreadyStored: ids([1]),
            offers: [NodeID(4): window(1), NodeID(5): window(2), NodeID(6): window(3)], length: 10, maxRate: 1000))
        guard case .transfer(let members, _) = partial else { Issue.record("expected transfer"); return }
        #expect(members == ids([4, 5]))
    }

    @Test("at least one designated member is in the group")
    func designatedRequired() {
        let d = policy.choose(RendezvousInput(
            replicas: 2, designated: ids([1, 2]), zones: [:], alreadyStored: [],
            offers: [NodeID(7): window(1), NodeID(8): window(2), NodeID(2): window(50)], length: 10, maxRate: 1000))
        guard case .transfer(let members, _) = d else { Issue.record("expected transfer"); return }
        #expect(members.contains(NodeID(2)))
        #expect(members.count == 2)
    }

    @Test("too few offers is insufficient")
    func insufficient() {
        let d = policy.choose(RendezvousInput(
            replicas: 3, designated: ids([1, 2, 3]), zones: [:], alreadyStored: [],
            offers: [NodeID(1): window(1)], length: 10, maxRate: 1000))
        #expect(d == .insufficient)
    }

    @Test("same input, same answer, whatever the dictionary order")
    func deterministic() {
        var offers: [NodeID: RendezvousWindow] = [:]
        for i in 1...12 { offers[NodeID(UInt32(i))] = window(UInt64(100 - i % 4)) }
        let input = RendezvousInput(replicas: 3, designated: ids(Array(1...12)), zones: [:], alreadyStored: [],
                                    offers: offers, length: 4096, maxRate: 1_000_000)
        let first = policy.choose(input)
        for _ in 0..<20 {
            var shuffled: [NodeID: RendezvousWindow] = [:]
            for (k, v) in offers.shuffled() { shuffled[k] = v }
            var again = input
            again.offers = shuffled
            #expect(policy.choose(again) == first)
        }
    }
}
