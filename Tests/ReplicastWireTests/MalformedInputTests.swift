import ReplicastWire
import Testing

/// Every `WireError` case is reachable from bytes or values, and no input crashes the decoder.
@Suite struct MalformedInputTests {
    /// The error `r` throws for `d` (nil if it accepted it).
    func error(_ d: [UInt8], _ r: Reassembler = Reassembler()) -> WireError? {
        do {
            try TestDatagrams.feed(r, d)
            return nil
        } catch {
            return error
        }
    }

    func encodeError(_ e: Envelope, maxDatagramSize: Int = 1472) -> WireError? {
        do {
            _ = try Fragmenter(envelope: e, maxDatagramSize: maxDatagramSize)
            return nil
        } catch {
            return error
        }
    }

    /// A valid single-datagram Stale Generation (14 bytes of metadata, no payload).
    var stale: [UInt8] { try! TestDatagrams.datagrams(TestDatagrams.stale)[0] }

    func edited(_ d: [UInt8], reseal: Bool = true, _ edit: (inout [UInt8]) -> Void) -> [UInt8] {
        var d = d
        edit(&d)
        return reseal ? TestDatagrams.resealed(d) : d
    }

    @Test func everyErrorCaseIsReachable() throws {
        var seen = Set<WireError>()
        func expectError(_ expected: WireError, _ actual: WireError?, _ what: String) {
            #expect(actual == expected, "\(what)")
            if actual == expected { seen.insert(expected) }
        }
        let s = stale
        let r = Reassembler()

        expectError(.truncated, error(Array(s[0..<43])), "shorter than the header")
        expectError(.truncated, error(edited(s, reseal: false) { $0[5] = 252 }), "header length beyond datagram")
        expectError(.truncated, error(edited(s) { d in
            d.removeLast()
            TestDatagrams.setU32(&d, 32, 13)
            TestDatagrams.setU32(&d, 36, 13)
        }), "metadata shorter than its fields")
        expectError(.badMagic, error(edited(s, reseal: false) { $0[0] ^= 1 }), "magic")
        expectError(.unsupportedVersion, error(edited(s, reseal: false) { $0[4] = 2 }), "version")
        expectError(.badHeaderLength, error(edited(s, reseal: false) { $0[5] = 40 }), "header length below 44")
        expectError(.badHeaderLength, error(edited(s, reseal: false) { $0[5] = 45 }), "header length not a multiple of 4")
        expectError(.unknownMessageType, error(edited(s) { $0[6] = 0x7F }), "type")
        expectError(.badKind, error(edited(s) { $0[7] = 3 }), "kind")
        expectError(.checksumMismatch, error(edited(s, reseal: false) { $0[50] ^= 0x40 }), "metadata bit flip")
        expectError(.checksumMismatch, error(edited(s, reseal: false) { $0[20] ^= 0x01 }), "header bit flip")
        expectError(.fragmentOutOfRange, error(edited(s) { TestDatagrams.setU16(&$0, 24, 1) }), "index ≥ count")
        expectError(.fragmentOutOfRange, error(edited(s) { TestDatagrams.setU16(&$0, 26, 0) }), "count 0")
        expectError(.fragmentOutOfRange, error(Array(TestDatagrams.resealed(Array(s[0..<44])))), "no message bytes")
        expectError(.inconsistentFragment, error(edited(s) { d in
            TestDatagrams.setU16(&d, 26, 2)
            TestDatagrams.setU32(&d, 32, 30)
        }), "fragment 0 of 2 shorter than the message but longer than half")
        expectError(.metadataTooLarge, error(edited(s) { TestDatagrams.setU32(&$0, 36, 15) }), "metadata > message")
        expectError(.trailingMetadata, error(edited(s) { d in
            d.append(0)
            TestDatagrams.setU32(&d, 32, 15)
            TestDatagrams.setU32(&d, 36, 15)
        }), "a byte after the last field")
        expectError(.unexpectedPayload, error(edited(s) { d in
            d.append(0)
            TestDatagrams.setU32(&d, 32, 15)
        }), "payload on a type without one")
        expectError(.invalidField, error(edited(s) { $0[19] = 1 }), "reserved header field")

        // Field domains.
        let nak = try TestDatagrams.datagrams(GoldenExamples.all.first { $0.name == "payload-nak" }!.envelope)[0]
        expectError(.invalidField, error(edited(nak) { $0[nak.count - 1] = 0 }), "NAK code 0")
        let window = try TestDatagrams.datagrams(
            GoldenExamples.all.first { $0.name == "put-accept-proposed-rendezvous" }!.envelope)[0]
        expectError(.invalidField, error(edited(window) { $0[44 + 22] = 0x80 }), "duration ≥ 2⁶³ ns")
        let named = try TestDatagrams.datagrams(GoldenExamples.all.first { $0.name == "named-get-request" }!.envelope)[0]
        expectError(.invalidField, error(edited(named) { d in
            for i in 0..<16 { d[44 + 4 + 64 + i] = 0 }
            d[44 + 4 + 64 + 7] = 1
        }),
            "lowest version > highest")
        let consensus = try TestDatagrams.datagrams(GoldenExamples.all.first { $0.name == "unnamed-get-request" }!.envelope)[0]
        expectError(.invalidField, error(edited(consensus) { $0[44 + 60] = 2 }), "consensus mode 2")
        expectError(.invalidField, encodeError(Envelope(
            kind: .response, id: GoldenExamples.proposal, generation: 0,
            message: .getAccept(GetAccept(
                request: GoldenExamples.get, negotiatingGroup: GoldenExamples.row, server: NodeID(1),
                window: RendezvousWindow(start: .zero, duration: .nanoseconds(-1), rate: 0))))), "negative duration")

        // Lists.
        let ack = Envelope(
            kind: .response, id: GoldenExamples.proposal, generation: 0,
            message: .consensusAck(ConsensusAck(
                proposal: GoldenExamples.proposal, contentHash: .zero, storedOn: (0..<65).map { NodeID($0) })))
        expectError(.listTooLong, encodeError(ack), "encoding 65 members")
        let consensusAck = try TestDatagrams.datagrams(GoldenExamples.all.first { $0.name == "consensus-ack" }!.envelope)[0]
        expectError(.listTooLong, error(edited(consensusAck) { TestDatagrams.setU16(&$0, 44 + 42, 65) }), "decoding 65 members")

        // Sizes.
        expectError(.metadataTooLarge, encodeError(TestDatagrams.stale, maxDatagramSize: 44 + 13), "metadata beyond datagram")
        expectError(.messageTooLarge, encodeError(TestDatagrams.transfer(payloadLength: 65_535 * 86), maxDatagramSize: 44 + 86),
            "more than 65535 fragments")
        let big = try TestDatagrams.datagrams(TestDatagrams.transfer(payloadLength: 3000))
        expectError(.messageTooLarge, error(big[0], Reassembler(limits: ReassemblyLimits(maxMessageBytes: 2000))), "receiver limit")
        expectError(.reassemblyMemoryExhausted,
            error(big[0], Reassembler(limits: ReassemblyLimits(maxBufferedBytes: 3000))), "buffer bound")
        let one = Reassembler(limits: ReassemblyLimits(maxIncompleteMessages: 1))
        let other = try TestDatagrams.datagrams(TestDatagrams.transfer(payloadLength: 3000, sequence: 2))
        #expect(error(big[0], one) == nil)
        expectError(.tooManyIncompleteMessages, error(other[0], one), "incomplete message bound")

        // Fragments that disagree with earlier ones of the same message.
        #expect(error(big[0], r) == nil)
        expectError(.inconsistentFragment, error(edited(big[1]) { $0[23] ^= 1 }, r), "other generation")
        expectError(.inconsistentFragment, error(edited(big[1]) { $0[7] = 0 }, r), "other kind")

        #expect(seen == Set(WireError.allCases), "not reached: \(Set(WireError.allCases).subtracting(seen))")
        #expect(r.counters.errors(.inconsistentFragment) == 2)
        #expect(r.counters.totalErrors == 2)
    }

    /// Bulk payload bytes are outside the CRC: a flipped payload bit is delivered (the content
    /// hash catches it), a flipped metadata bit is not.
    @Test func payloadIsNotCoveredByTheChecksum() throws {
        let d = try TestDatagrams.datagrams(TestDatagrams.transfer(payloadLength: 100))[0]
        let flipped = edited(d, reseal: false) { $0[$0.count - 1] ^= 0xFF }
        let e = try #require(try TestDatagrams.feed(Reassembler(), flipped))
        guard case .rendezvousTransfer(let t) = e.message else { Issue.record("wrong type"); return }
        let expected: UInt8 = 99 ^ 0xFF
        #expect(t.content.bytes.last == expected)
    }

    /// Every prefix of every single-datagram example is rejected with a typed error, and so
    /// is every prefix whose checksum was recomputed (so the structural checks, not the CRC,
    /// catch it). A prefix of a fragment of a longer message can look like a fragment with a
    /// smaller stride; it is then held (not delivered) and the message's real fragments are
    /// rejected as inconsistent.
    @Test(arguments: GoldenExamples.all.map(\.name))
    func truncatedAtEveryLength(name: String) throws {
        let example = try #require(GoldenExamples.all.first { $0.name == name })
        let datagrams = try TestDatagrams.datagrams(example.envelope, maxDatagramSize: example.maxDatagramSize)
        for (i, d) in datagrams.enumerated() {
            for n in 0..<d.count {
                let prefix = Array(d[0..<n])
                for candidate in n < 44 ? [prefix] : [prefix, TestDatagrams.resealed(prefix)] {
                    let r = Reassembler()
                    let e = error(candidate, r)
                    if n < 44 { #expect(e == .truncated) }
                    if datagrams.count == 1 {
                        #expect(e != nil)
                    } else if e == nil {
                        #expect(r.incompleteCount == 1)
                        let rest = datagrams.indices.filter { $0 != i }.map { datagrams[$0] }
                        #expect(rest.contains { error($0, r) == .inconsistentFragment })
                    }
                }
            }
        }
    }

    /// Random bit flips anywhere in the header or metadata are always rejected (CRC-32C
    /// detects every 1-, 2- and 3-bit error in such short inputs).
    @Test(arguments: GoldenExamples.all.map(\.name))
    func bitFlipsInCoveredBytesAreRejected(name: String) throws {
        let example = try #require(GoldenExamples.all.first { $0.name == name })
        let d = try TestDatagrams.datagrams(example.envelope, maxDatagramSize: example.maxDatagramSize)[0]
        let covered = 44 + TestDatagrams.u32(d, 36)
        var rng = RoundTripTests.SplitMix(state: UInt64(d.count))
        for _ in 0..<200 {
            var bad = d
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                bad[Int.random(in: 0..<covered, using: &rng)] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
            }
            guard bad != d else { continue }
            #expect(error(bad) != nil)
        }
    }
}
