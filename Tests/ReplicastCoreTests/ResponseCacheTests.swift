import ReplicastCore
import ReplicastWire
import Testing

@Suite("Response cache")
struct ResponseCacheTests {
    let now = Instant(nanoseconds: 5_000_000_000)
    func request(_ n: UInt32) -> RequestID { RequestID(source: NodeID(0x8000_0002), sequence: n) }
    func response(_ n: UInt32) -> Outbound {
        Outbound(target: .node(NodeID(0x8000_0002)), kind: .response, id: RequestID(source: NodeID(1), sequence: n),
                 message: .staleGeneration(StaleGeneration(request: request(n), currentGeneration: n)))
    }

    @Test("a seen request replays exactly its recorded responses")
    func replay() {
        var c = ResponseCache(capacity: 8)
        c.record(response(1), for: request(1), now: now)
        #expect(c.contains(request(1)))
        #expect(c.responses(for: request(1), now: now) == [response(1)])
        #expect(!c.contains(request(2)))
    }

    @Test("bounded: the oldest entries go first")
    func bounded() {
        var c = ResponseCache(capacity: 4)
        for i in 1...10 { c.record(response(UInt32(i)), for: request(UInt32(i)), now: now) }
        #expect(c.count == 4)
        #expect(!c.contains(request(6)))
        #expect(c.contains(request(7)) && c.contains(request(10)))
    }

    @Test("entries older than the maximum age are not replayed")
    func aged() {
        var c = ResponseCache(capacity: 4, maxAge: .seconds(1))
        c.record(response(1), for: request(1), now: now)
        #expect(c.responses(for: request(1), now: now + .seconds(2)) == nil)
    }
}
