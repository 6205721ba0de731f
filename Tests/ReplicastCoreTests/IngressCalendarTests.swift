import ReplicastCore
import ReplicastWire
import Testing

@Suite("Ingress reservation calendar")
struct IngressCalendarTests {
    let t0 = Instant(nanoseconds: 1_000_000_000)
    func key(_ n: UInt32) -> RequestID { RequestID(source: NodeID(0x8000_0001), sequence: n) }

    @Test("full-rate reservations are granted one after another, never overlapping")
    func sequential() {
        var c = IngressCalendar(reservedRate: 1_000_000_000)
        let a = c.earliestWindow(notBefore: t0, bytes: 1_000_000, maxRate: 2_000_000_000)
        #expect(a.start == t0 && a.rate == 1_000_000_000)
        c.reserve(key(1), a, expiry: a.end + .seconds(1))
        let b = c.earliestWindow(notBefore: t0, bytes: 1_000_000, maxRate: 2_000_000_000)
        #expect(b.start == a.end)
        c.reserve(key(2), b, expiry: b.end + .seconds(1))
        #expect(!c.isOverbooked)
    }

    @Test("slower reservations share the rate; the sum never exceeds it")
    func sharing() {
        var c = IngressCalendar(reservedRate: 1_000_000_000)
        for i in 0..<10 {
            let w = c.earliestWindow(notBefore: t0, bytes: 500_000, maxRate: 400_000_000)
            c.reserve(key(UInt32(i)), w, expiry: w.end + .seconds(1))
            #expect(!c.isOverbooked)
        }
        // Two fit side by side at 400 MB/s within 1 GB/s; the third waits.
        let starts = c.reservations.map(\.window.start)
        #expect(starts.filter { $0 == t0 }.count == 2)
        for r in c.reservations { #expect(c.load(at: r.window.start) <= 1_000_000_000) }
    }

    @Test("unused reservations expire and free the calendar")
    func expiry() {
        var c = IngressCalendar(reservedRate: 1_000_000_000)
        let a = c.earliestWindow(notBefore: t0, bytes: 1_000_000_000, maxRate: 1_000_000_000)
        c.reserve(key(1), a, expiry: a.end)
        #expect(c.expire(now: t0 + .milliseconds(10)).isEmpty)
        #expect(c.expire(now: a.end) == [key(1)])
        #expect(c.earliestWindow(notBefore: t0, bytes: 10, maxRate: 1_000_000_000).start == t0)
    }
}
