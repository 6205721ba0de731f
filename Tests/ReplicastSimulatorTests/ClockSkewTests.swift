@testable import ReplicastSimulator
import ReplicastWire
import Testing

/// Every node reads its own clock, with an offset and a drift; rendezvous windows are
/// absolute instants on those clocks. Reservations hold while the skew between two nodes
/// stays within the limit of docs/CLOCKS.md (about 200 µs at 10 Gbit/s with 256 KiB switch
/// port buffers); beyond it transfers overlap at the ports and are dropped and retried,
/// and every safety invariant still holds. Benchmarks/results/clock-skew.md has the sweep.
@Suite struct ClockSkewTests {
    let epoch = Instant(nanoseconds: 1_000_000_000)

    @Test("a clock reads true time through its offset and drift; true time of a reading is the earliest that reaches it")
    func clockModel() {
        let exact = NodeClock(epoch: epoch)
        #expect(exact.reading(at: epoch + .milliseconds(3)) == epoch + .milliseconds(3))
        let ahead = NodeClock(offset: .microseconds(40), drift: 0, epoch: epoch)
        #expect(ahead.reading(at: epoch) == epoch + .microseconds(40))
        #expect(ahead.trueTime(reading: epoch + .microseconds(50)) == epoch + .microseconds(10))
        let fast = NodeClock(offset: .zero - .microseconds(25), drift: 100, epoch: epoch)  // gains 100 µs a second
        #expect(fast.reading(at: epoch + .seconds(1)) == epoch + .seconds(1) + .microseconds(75))
        for clock in [ahead, fast, NodeClock(offset: .microseconds(3), drift: -37.5, epoch: epoch)] {
            for k in [Int64(0), 1, 999, 123_456_789, 4_000_000_001] {
                let reading = epoch + .nanoseconds(k)
                let t = clock.trueTime(reading: reading)
                #expect(clock.reading(at: t) >= reading)
                #expect(clock.reading(at: Instant(nanoseconds: t.rawValue - 1)) < reading)
            }
        }
    }

    /// OversubscriptionTests' scenario (every reservation calendar full), shorter.
    static func saturated(offset: Duration, drift: Double = 0) -> SimulationConfiguration {
        var c = OversubscriptionTests.scenario(reservations: true)
        c.transactions = 300
        c.clocks.maxOffset = offset
        c.clocks.maxDrift = drift
        return c
    }

    @Test("within the limit (offsets ±50 µs, drift ±10 ppm): with every calendar full, no transfer is dropped")
    func reservationsHoldWithinLimit() throws {
        let report = try Simulation(configuration: Self.saturated(offset: .microseconds(50), drift: 10)).run()
        #expect(report.passed, "\(report)")
        #expect(report.clockSkew > .microseconds(50), "\(report)")
        #expect(report.network.transferCongestionDrops == 0, "\(report)")
        #expect(report.serverStats.incompleteTransfers == 0, "\(report)")
        #expect(report.puts.acknowledged == report.puts.started)
    }

    @Test("within the limit, under every fault: the invariants hold", arguments: [UInt64(1), 2, 3])
    func invariantsHoldWithinLimit(seed: UInt64) throws {
        var c = SimulationFixtures.faulty(seed: seed)
        c.clocks.maxOffset = .microseconds(50)
        c.clocks.maxDrift = 10
        let report = try Simulation(configuration: c).run()
        #expect(report.passed, "seed \(seed):\n\(report)")
    }

    @Test("beyond the limit (offsets ±1 ms): transfers collide and are retried; no invariant breaks")
    func beyondTheLimit() throws {
        let report = try Simulation(configuration: Self.saturated(offset: .milliseconds(1))).run()
        #expect(report.passed, "\(report)")
        #expect(report.network.transferCongestionDrops > 0, "\(report)")
        #expect(report.serverStats.incompleteTransfers > 0, "\(report)")
    }

    @Test("far beyond (offsets ±100 ms, drift ±100 ppm), under every fault: no invariant breaks")
    func farBeyond() throws {
        var c = SimulationFixtures.faulty(seed: 7)
        c.clocks.maxOffset = .milliseconds(100)
        c.clocks.maxDrift = 100
        let report = try Simulation(configuration: c).run()
        #expect(report.passed, "\(report)")
    }
}
