import Foundation
import ReplicastCore
import ReplicastRuntime
import ReplicastWire
import Testing

/// The keep-alive membership over real multicast: heartbeats on the control group between
/// in-process nodes; a stopped node is reported down by the others, a restarted one up.
@Suite("Keep-alive membership over multicast", .serialized)
struct KeepAliveEndToEndTests {
    /// Waits until `condition` holds (polling every 10 ms), at most `limit`. Returns the time
    /// it took, nil if it never held.
    static func wait(upTo limit: Duration, _ condition: () -> Bool) -> Duration? {
        let clock = ContinuousClock()
        let start = clock.now
        while clock.now - start < limit {
            if condition() { return clock.now - start }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return condition() ? clock.now - start : nil
    }

    @Test("a stopped node is reported down by every other node within about a second, and up after its restart")
    func stopAndRestart() throws {
        let cluster = try LocalTestCluster(nodes: 4)
        let ids = cluster.nodes.keys.sorted()
        // Everyone hears everyone and measures its round trips.
        let heard = Self.wait(upTo: .seconds(5)) {
            ids.allSatisfy { id in
                guard let m = cluster.nodes[id]?.membership else { return false }
                return m.down.isEmpty && ids.filter { $0 != id }.allSatisfy { m.peers[$0]?.incarnation ?? 0 > 0 && m.roundTrip(to: $0) != nil }
            }
        }
        #expect(heard != nil, "not every node heard and measured every other")
        for id in ids { #expect((cluster.nodes[id]?.membership?.stats.heartbeatsSent ?? 0) > 0) }

        let victim = ids[2]
        let others = ids.filter { $0 != victim }
        let oldIncarnation = cluster.nodes[others[0]]?.membership?.peers[victim]?.incarnation ?? 0
        cluster.stop(victim)
        let down = Self.wait(upTo: .seconds(5)) {
            others.allSatisfy { cluster.nodes[$0]?.membership?.isUp(victim) == false }
        }
        let seen = try #require(down, "the others did not report \(victim) down")
        // Down after 1 s of silence: the last heartbeat came up to 200 ms before the stop.
        #expect(seen <= .milliseconds(1500), "reported down after \(seen)")
        for id in others { #expect(cluster.nodes[id]?.membership?.stats.downTransitions == 1) }

        // Puts keep working with the node down (it stays in the table).
        let client = try cluster.client()
        let receipt = try client.putChunk(Payload(copying: testBytes(dataSize(64 << 10), seed: 77)))
        #expect(!receipt.storedOn.contains(victim))

        try cluster.start(victim)
        let up = Self.wait(upTo: .seconds(3)) {
            others.allSatisfy { cluster.nodes[$0]?.membership?.isUp(victim) == true }
        }
        #expect(up != nil, "the others did not report \(victim) up again")
        for id in others {
            let m = cluster.nodes[id]?.membership
            #expect(m?.stats.upTransitions == 1)
            #expect((m?.peers[victim]?.incarnation ?? 0) > oldIncarnation)
        }
    }
}
