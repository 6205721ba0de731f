import ReplicastWire
import Testing

@Suite struct ReassemblerTests {
    let second = Duration.seconds(1)

    @Test func multiFragmentPayloadIsAViewOfTheReassemblyBuffer() throws {
        let e = TestDatagrams.transfer(payloadLength: 20_000)
        let f = try Fragmenter(envelope: e, maxDatagramSize: 1472)
        #expect(f.fragmentCount == 15)  // 86 + 20 000 bytes in strides of 1428
        let r = Reassembler()
        var delivered: Envelope?
        for i in (0..<f.fragmentCount).reversed() { delivered = try TestDatagrams.feed(r, f.datagram(i)) }
        let got = try #require(delivered)
        #expect(got == e)
        guard case .rendezvousTransfer(let t) = got.message else { Issue.record("wrong type"); return }
        let buffer = try #require(t.content.buffer)
        #expect(buffer.count == f.messageLength)
        #expect(t.content.range == f.metadataLength..<f.messageLength)
        #expect(r.counters.messagesCompleted == 1)
        #expect(r.counters.datagramsAccepted == 15)
    }

    @Test func singleFragmentMessagesAreDeliveredEveryTime() throws {
        let d = try TestDatagrams.datagrams(TestDatagrams.stale)[0]
        let r = Reassembler()
        #expect(try TestDatagrams.feed(r, d) == TestDatagrams.stale)
        #expect(try TestDatagrams.feed(r, d) == TestDatagrams.stale)
        #expect(r.counters.messagesCompleted == 2)
        #expect(r.incompleteCount == 0)
    }

    @Test func lateDuplicateIsDiscardedUntilTheTimeoutPasses() throws {
        let datagrams = try TestDatagrams.datagrams(TestDatagrams.transfer(payloadLength: 3000))
        let r = Reassembler(limits: ReassemblyLimits(timeout: second))
        #expect(try TestDatagrams.feed(r, datagrams[0], now: .zero) == nil)
        #expect(try TestDatagrams.feed(r, datagrams[1], now: .zero) == nil)
        #expect(try TestDatagrams.feed(r, datagrams[2], now: .zero) != nil)
        #expect(try TestDatagrams.feed(r, datagrams[1], now: .zero + .milliseconds(500)) == nil)
        #expect(r.incompleteCount == 0)
        #expect(r.counters.duplicatesDiscarded == 1)
        // After the timeout the id is forgotten: the same fragment starts a new message.
        #expect(r.expire(now: .zero + second).isEmpty)
        #expect(try TestDatagrams.feed(r, datagrams[1], now: .zero + second) == nil)
        #expect(r.incompleteCount == 1)
    }

    @Test func recentlyCompletedIdsAreBoundedInNumber() throws {
        let r = Reassembler(limits: ReassemblyLimits(maxRecentlyCompleted: 2))
        let messages = try (1...3).map { try TestDatagrams.datagrams(TestDatagrams.transfer(payloadLength: 2000, sequence: $0)) }
        for m in messages { for d in m { try TestDatagrams.feed(r, d) } }
        #expect(r.counters.messagesCompleted == 3)
        // The first id was pushed out by the third; its fragment starts a new message.
        try TestDatagrams.feed(r, messages[0][0])
        try TestDatagrams.feed(r, messages[2][0])
        #expect(r.incompleteCount == 1)
        #expect(r.counters.duplicatesDiscarded == 1)
    }

    @Test func stalledMessagesExpireWithWhatIsKnown() throws {
        let e = TestDatagrams.transfer(payloadLength: 5000)
        let datagrams = try TestDatagrams.datagrams(e)
        #expect(datagrams.count == 4)
        let r = Reassembler(limits: ReassemblyLimits(timeout: second))
        let t0 = Instant(nanoseconds: 5_000_000_000)
        try TestDatagrams.feed(r, datagrams[0], now: t0)
        try TestDatagrams.feed(r, datagrams[2], now: t0 + .milliseconds(300))
        #expect(r.bufferedBytes > 5000)
        #expect(r.expire(now: t0 + .milliseconds(1200)).isEmpty, "fragment 2 arrived 900 ms ago")
        let expired = r.expire(now: t0 + .milliseconds(1300))
        #expect(expired.count == 1)
        let x = try #require(expired.first)
        #expect(x.id == e.id)
        #expect(x.type == .rendezvousTransfer)
        #expect(x.kind == .notification)
        #expect(x.generation == 9)
        #expect(x.receivedFragments == 2)
        #expect(x.totalFragments == 4)
        #expect(x.receivedBytes == datagrams[0].count + datagrams[2].count - 88)
        #expect(x.firstReceived == t0)
        #expect(x.lastReceived == t0 + .milliseconds(300))
        guard case .rendezvousTransfer(var expected) = e.message else { return }
        expected.content = .empty
        #expect(x.metadata == .rendezvousTransfer(expected))
        #expect(r.incompleteCount == 0)
        #expect(r.bufferedBytes == 0)
        #expect(r.counters.messagesExpired == 1)
    }

    @Test func expiredReportHasNoMetadataWithoutFragmentZero() throws {
        let datagrams = try TestDatagrams.datagrams(TestDatagrams.transfer(payloadLength: 5000))
        let r = Reassembler(limits: ReassemblyLimits(timeout: second))
        try TestDatagrams.feed(r, datagrams[3])
        let expired = r.expire(now: .zero + second)
        #expect(expired.count == 1)
        #expect(expired.first?.metadata == nil)
    }

    /// Memory held by incomplete messages never exceeds the bound, and is released by
    /// completion and expiry.
    @Test func bufferedBytesStayWithinTheBound() throws {
        let limit = 50_000
        let r = Reassembler(limits: ReassemblyLimits(maxBufferedBytes: limit, timeout: second))
        var refused = 0
        var started: [[[UInt8]]] = []
        for seq in 1...20 {
            let m = try TestDatagrams.datagrams(TestDatagrams.transfer(payloadLength: 9000, sequence: UInt32(seq)))
            do {
                try TestDatagrams.feed(r, m[0])
                started.append(m)
            } catch {
                #expect(error == .reassemblyMemoryExhausted)
                refused += 1
            }
            #expect(r.bufferedBytes <= limit)
        }
        #expect(started.count == 5)  // 9000 + 86 metadata + 8 bitmap = 9094 bytes each
        #expect(refused == 15)
        for d in started[0].dropFirst() { try TestDatagrams.feed(r, d) }
        #expect(r.incompleteCount == 4)
        let held = r.bufferedBytes
        #expect(held == 4 * (9000 + 86 + 8))
        _ = r.expire(now: .zero + second)
        #expect(r.bufferedBytes == 0)
        #expect(r.counters.errors(.reassemblyMemoryExhausted) == 15)
        #expect(r.counters.errorsByKind == [.reassemblyMemoryExhausted: 15])
    }
}

@Suite struct FragmenterTests {
    @Test func headsAndBodiesTileTheMessageWithoutCopyingThePayload() throws {
        let payload = Payload(copying: (0..<10_000).map { UInt8(truncatingIfNeeded: $0 * 7) })
        var e = TestDatagrams.transfer(payloadLength: 0)
        guard case .rendezvousTransfer(var t) = e.message else { return }
        t.content = payload
        e.message = .rendezvousTransfer(t)
        let f = try Fragmenter(envelope: e, maxDatagramSize: 1000)
        #expect(f.stride == 956)
        #expect(f.fragmentCount == (f.metadataLength + 10_000 + 955) / 956)
        var rebuilt: [UInt8] = []
        for i in 0..<f.fragmentCount {
            #expect(f.headLength(of: i) == 44 + (i == 0 ? f.metadataLength : 0))
            let body = f.body(of: i)
            #expect(body.buffer === payload.buffer)
            #expect(f.headLength(of: i) + body.count == (i < f.fragmentCount - 1 ? 1000 : 44 + f.messageLength - i * 956))
            var head = [UInt8](repeating: 0, count: f.headLength(of: i))
            head.withUnsafeMutableBytes { f.writeHead(of: i, into: $0) }
            #expect(head + body.bytes == f.datagram(i))
            rebuilt += Array(head.dropFirst(44)) + body.bytes
        }
        #expect(rebuilt.count == f.messageLength)
        #expect(Array(rebuilt.suffix(10_000)) == payload.bytes)
    }

    @Test func smallestDatagramThatHoldsTheMetadata() throws {
        let f = try Fragmenter(envelope: TestDatagrams.stale, maxDatagramSize: 44 + 14)
        #expect(f.fragmentCount == 1)
        #expect(throws: WireError.metadataTooLarge) { try Fragmenter(envelope: TestDatagrams.stale, maxDatagramSize: 44 + 13) }
        #expect(throws: WireError.metadataTooLarge) { try Fragmenter(envelope: TestDatagrams.stale, maxDatagramSize: 0) }
    }
}
