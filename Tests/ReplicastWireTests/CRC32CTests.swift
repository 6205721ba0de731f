import ReplicastWire
import Testing

@Suite struct CRC32CTests {
    /// Bit-at-a-time reference.
    func reference(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return ~crc
    }

    @Test func checkValue() {
        #expect(CRC32C.checksum(of: Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum(of: [UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)  // RFC 3720 B.4
        #expect(CRC32C.checksum(of: [UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum(of: []) == 0)
    }

    @Test func slicingMatchesBitwiseAtEveryLengthAndSplit() {
        var rng = RoundTripTests.SplitMix(state: 1)
        for n in 0..<100 {
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            #expect(CRC32C.checksum(of: bytes) == reference(bytes))
            let split = Int.random(in: 0...n, using: &rng)
            var crc = CRC32C()
            bytes[..<split].withUnsafeBytes { crc.update($0) }
            bytes[split...].withUnsafeBytes { crc.update($0) }
            #expect(crc.value == reference(bytes))
        }
    }

    @Test func zerosAreZeroBytes() {
        var crc = CRC32C()
        crc.updateZeros(13)
        #expect(crc.value == reference([UInt8](repeating: 0, count: 13)))
    }
}

@Suite struct DecodeErrorLimiterTests {
    let interval = Duration.seconds(10)
    func at(_ s: Int) -> Instant { Instant(nanoseconds: UInt64(s) * 1_000_000_000) }

    @Test func oncePerKeyPerInterval() {
        var l = DecodeErrorLimiter<NodeID>(interval: interval)
        let calls: [(NodeID, Int)] = [(NodeID(1), 100), (NodeID(1), 105), (NodeID(2), 105), (NodeID(1), 109), (NodeID(1), 110)]
        let reported = calls.map { l.shouldReport($0.0, now: at($0.1)) }
        #expect(reported == [true, false, true, false, true])
        #expect(l.suppressed == 2)
    }

    @Test func boundedNumberOfKeys() {
        var l = DecodeErrorLimiter<Int>(interval: interval, capacity: 3)
        let first = (0..<3).map { l.shouldReport($0, now: at(0)) }
        let flood = (3..<100).map { l.shouldReport($0, now: at(5)) }
        #expect(first == [true, true, true])
        #expect(!flood.contains(true))
        #expect(l.suppressed == 97)
        // Once the interval has passed old keys are dropped and new ones are reported again.
        let later = [l.shouldReport(50, now: at(10)), l.shouldReport(50, now: at(11))]
        #expect(later == [true, false])
    }

    @Test("a flood from thousands of sources is reported at most `budget` times per interval")
    func boundedReportsOverEveryKey() {
        var l = DecodeErrorLimiter<Int>(interval: interval, budget: 20)
        // 3000 sources within one second, each a first offence.
        let reported = (0..<3000).filter { l.shouldReport($0, now: Instant(nanoseconds: 1_000_000_000 + UInt64($0) * 300_000)) }
        #expect(reported.count == 20)
        #expect(l.suppressed == 2980)
        let unreported = l.takeUnreported()
        let again = l.takeUnreported()
        #expect(unreported == 2980)
        #expect(again == 0)
        // A new interval has a new budget.
        let next = l.shouldReport(5000, now: at(12))
        #expect(next)
    }
}
