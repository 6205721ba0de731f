@testable import ReplicastSimulator
import ReplicastWire
import Testing

/// The pieces of the network model.
@Suite struct NetworkModelTests {
    let t0 = Instant(nanoseconds: 1_000_000_000)

    @Test("a link serves datagrams at its rate and drops what overflows its buffer")
    func linkQueue() {
        var link = LinkQueue(bandwidth: 1_000_000_000, bufferBytes: 3000)  // 1 byte per ns
        #expect(link.enqueue(1000, at: t0) == t0 + .nanoseconds(1000))
        #expect(link.enqueue(1000, at: t0) == t0 + .nanoseconds(2000))
        #expect(link.enqueue(1000, at: t0) == t0 + .nanoseconds(3000))
        #expect(link.enqueue(1000, at: t0) == nil)  // 3000 bytes waiting already
        #expect(link.enqueue(1000, at: t0 + .nanoseconds(1500)) == t0 + .nanoseconds(4000))
        #expect(link.enqueue(100, at: t0 + .nanoseconds(10_000)) == t0 + .nanoseconds(10_100))
    }

    @Test("events pop in time order, and in scheduling order at equal times")
    func eventOrder() {
        var q = EventQueue<Int>()
        q.schedule(3, at: t0 + .microseconds(2))
        q.schedule(1, at: t0)
        q.schedule(2, at: t0)
        q.schedule(0, at: Instant(nanoseconds: 999_999_000))
        var popped: [Int] = []
        while let (_, e) = q.pop() { popped.append(e) }
        #expect(popped == [0, 1, 2, 3])
    }
}
