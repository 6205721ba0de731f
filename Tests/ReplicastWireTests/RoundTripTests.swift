import PropertyBased
import ReplicastWire
import Testing

/// Every message type survives encode → fragment → shuffle and duplicate → reassemble.
@Suite struct RoundTripTests {
    /// A small deterministic generator for shuffling (seeded by the property check).
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_10EB
            return z ^ (z >> 31)
        }
    }

    @Test(arguments: MessageType.allCases)
    func roundTrip(type: MessageType) async throws {
        await propertyCheck(count: 25, input: Arbitrary.envelopes(of: type), Gen.uint64()) { envelope, seed in
            #expect(envelope.message.wireType == type)
            var rng = SplitMix(state: seed)
            let tight = try Fragmenter(envelope: envelope, maxDatagramSize: 9000).metadataLength
                + WireFormat.headerSize + Int.random(in: 0...64, using: &rng)
            for size in [1472, 1500, 8972, 9000, tight] {
                try checkRoundTrip(envelope, maxDatagramSize: size, rng: &rng)
            }
        }
    }

    func checkRoundTrip(_ envelope: Envelope, maxDatagramSize: Int, rng: inout SplitMix) throws {
        let f = try Fragmenter(envelope: envelope, maxDatagramSize: maxDatagramSize)
        var datagrams = (0..<f.fragmentCount).map { f.datagram($0) }
        for d in datagrams { #expect(d.count <= maxDatagramSize) }
        #expect(datagrams.reduce(0) { $0 + $1.count } == f.messageLength + WireFormat.headerSize * f.fragmentCount)

        let reassembler = Reassembler()
        if f.fragmentCount == 1 {
            let delivered = try datagrams[0].withUnsafeBytes { try reassembler.accept($0, now: .zero) }
            #expect(delivered == envelope)
            return
        }
        // Duplicate some fragments, shuffle everything, then send a late duplicate too.
        for _ in 0..<Int.random(in: 0...3, using: &rng) {
            datagrams.append(datagrams.randomElement(using: &rng)!)
        }
        datagrams.shuffle(using: &rng)
        datagrams.append(datagrams.randomElement(using: &rng)!)
        var delivered: [Envelope] = []
        for d in datagrams {
            if let e = try d.withUnsafeBytes({ try reassembler.accept($0, now: .zero) }) { delivered.append(e) }
        }
        #expect(delivered == [envelope])
        #expect(reassembler.incompleteCount == 0)
        #expect(reassembler.bufferedBytes == 0)
        #expect(reassembler.counters.duplicatesDiscarded == UInt64(datagrams.count - f.fragmentCount))
    }
}
