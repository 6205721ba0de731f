import ReplicastCore
import ReplicastWire
import Testing

/// Rates that match the wire: servers never offer more than their reserved inbound rate,
/// clients never send more than their reserved outbound rate (all transfers together), a
/// get's delivery never exceeds the requester's reception rate; and the congestion law
/// (`RateCap`, docs/PROTOCOL.md §11): incomplete transfers halve the rate to that member,
/// completed ones add a step back.
@Suite struct RateControlTests {
    let s1 = OneRow.servers[0], s2 = OneRow.servers[1], s3 = OneRow.servers[2]
    let mb: UInt64 = 1_000_000

    /// Every Rendezvous Transfer the client sent, with its pacing window.
    func transfers(_ q: Quartet) -> [(members: [NodeID], window: RendezvousWindow)] {
        q.sent.compactMap { s in
            guard s.from == OneRow.client, case .rendezvousTransfer(let t) = s.outbound.message, let w = s.outbound.pacing
            else { return nil }
            return (t.members, w)
        }
    }

    /// Whether the windows' rates sum to at most `limit` at every instant.
    func sumWithin(_ windows: [RendezvousWindow], _ limit: UInt64) -> Bool {
        windows.allSatisfy { w in windows.filter { $0.start <= w.start && w.start < $0.end }.map(\.rate).reduce(0, +) <= limit }
    }

    // MARK: - The law

    @Test("the cap halves per incomplete transfer, down to the floor, and recovers one step per completed one")
    func law() {
        var c = RateCap(ceiling: 64_000)
        #expect(c.current == 64_000 && c.floor == 1_000 && c.step == 1_000)
        let first = c.incomplete(at: 64_000)
        #expect(first && c.current == 32_000)
        // A loss of a transfer sent before that decrease (faster than the cap) is the same episode.
        let stale = c.incomplete(at: 64_000)
        #expect(!stale && c.current == 32_000)
        // A loss at a lower rate than the cap halves from that rate.
        let lower = c.incomplete(at: 20_000)
        #expect(lower && c.current == 10_000)
        for _ in 0..<10 { c.incomplete(at: c.current) }
        #expect(c.current == c.floor)
        #expect(c.decreases == 6)
        c.completed()
        #expect(c.current == 2_000)
        for _ in 0..<100 { c.completed() }
        #expect(c.current == c.ceiling && !c.isBackedOff)
    }

    // MARK: - Enforcement

    @Test("a server never offers more than its reserved inbound rate, whatever the client asks")
    func serverOffersWithinItsInbound() throws {
        var q = try Quartet(client: { $0.allocation = .split(bandwidth: 10_000 * mb, reservedShare: 0.9) },
                            servers: { $0.reservedInboundRate = 40 * mb })
        let put = q.put(Quartet.chunk(1, count: 200_000))
        try q.settle()
        #expect(try q.putResult(put)?.get().storedOn == OneRow.servers)
        let offers = q.sent.compactMap { s -> RendezvousWindow? in
            guard case .putAccept(let a) = s.outbound.message, case .proposedRendezvous(let w) = a.answer else { return nil }
            return w
        }
        #expect(offers.count == 3)
        #expect(offers.allSatisfy { $0.rate <= 40 * mb })
        #expect(transfers(q).allSatisfy { $0.window.rate <= 40 * mb })
    }

    @Test("a client proposes and sends at its reserved outbound rate at most, and its transfers together never exceed it")
    func clientSendsWithinItsOutbound() throws {
        let outbound = 30 * mb
        var q = try Quartet(client: { $0.allocation = .split(bandwidth: outbound * 10 / 8, reservedShare: 0.8) },
                            servers: { $0.reservedInboundRate = 1_000 * mb })
        let puts = (1...4).map { q.put(Quartet.chunk(UInt8($0), count: 300_000)) }
        try q.settle()
        for p in puts { #expect(try q.putResult(p)?.get().storedOn.count == 3) }
        let proposals = q.sent.compactMap { s -> PutProposal? in
            if case .putProposal(let p) = s.outbound.message { return p } else { return nil }
        }
        #expect(proposals.allSatisfy { $0.maxDeliveryRate <= outbound })
        let windows = transfers(q).map(\.window)
        #expect(windows.count == 4)
        #expect(windows.allSatisfy { $0.rate <= outbound })
        // Four servers' worth of room, but one client's link: the transfers go one after another.
        #expect(sumWithin(windows, outbound))
    }

    @Test("cluster consensus: the client keeps its transfers within its reserved outbound rate too")
    func clusterConsensusWithinOutbound() throws {
        let outbound = 30 * mb
        var q = try Quartet(client: { $0.allocation = .split(bandwidth: outbound * 10 / 8, reservedShare: 0.8) },
                            servers: { $0.reservedInboundRate = 1_000 * mb })
        let puts = (1...3).map { q.put(Quartet.chunk(UInt8($0), count: 300_000), consensus: .cluster) }
        try q.settle()
        for p in puts { #expect(try q.putResult(p)?.get().storedOn.count == 3) }
        let windows = transfers(q).map(\.window)
        #expect(windows.count == 3 && sumWithin(windows, outbound))
    }

    @Test("a get's delivery never exceeds the requester's reception rate nor the server's outbound rate")
    func getDeliveryWithinReception() throws {
        let chunk = Quartet.chunk(9, count: 100_000)
        let holding = Dictionary(uniqueKeysWithValues: OneRow.servers.map { ($0, [chunk]) })
        for (reception, serverOut) in [(20 * mb, 1_000 * mb), (1_000 * mb, 25 * mb)] {
            for consensus in [ConsensusMode.client, .cluster] {
                var q = try Quartet(holding: holding, client: { $0.allocation.reservedInbound = reception },
                                    servers: { $0.reservedOutboundRate = serverOut })
                let get = q.get(chunk, consensus: consensus)
                try q.settle()
                #expect(try q.getResult(get)?.get().payload == chunk)
                let delivered = q.sent.compactMap { s -> RendezvousWindow? in
                    guard s.from != OneRow.client, case .rendezvousTransfer = s.outbound.message else { return nil }
                    return s.outbound.pacing
                }
                #expect(delivered.count == 1)
                #expect(delivered.allSatisfy { $0.rate <= min(reception, serverOut) }, "\(consensus) \(delivered)")
            }
        }
    }

    // MARK: - Congestion

    @Test("a transfer a member never ACKs halves the client's rate to it; the retry goes at that rate and the put succeeds")
    func unackedTransferSlowsTheMember() throws {
        let outbound = 100 * mb
        var q = try Quartet(client: { $0.allocation = .split(bandwidth: outbound * 10 / 8, reservedShare: 0.8) },
                            servers: { $0.reservedInboundRate = 1_000 * mb })
        q.dropNext(.rendezvousTransfer, to: s1)
        let put = q.put(Quartet.chunk(3, count: 200_000))
        try q.settle()
        let receipt = try #require(try q.putResult(put)?.get())
        #expect(Set(receipt.storedOn + receipt.alreadyStored) == Set(OneRow.servers))
        let sent = transfers(q)
        #expect(sent.count == 2)
        #expect(sent[0].window.rate == outbound)
        #expect(sent[1].members == [s1])
        #expect(sent[1].window.rate <= outbound / 2)
        // s2 and s3 ACKed: still at the ceiling; s1 halved, then one step back for the ACK of the retry.
        let cap = try #require(q.client.serverRateCaps[s1])
        #expect(cap.decreases == 1)
        #expect(cap.current == outbound / 2 + cap.step)
        #expect(q.client.serverRateCaps[s2] == nil && q.client.serverRateCaps[s3] == nil)
    }

    @Test("a Payload NAK incomplete halves the client's rate to that member only; ACKs bring it back step by step")
    func nakIncompleteSlowsTheMember() throws {
        let rate = 64 * mb
        var c = ClientConfiguration(id: OneRow.client)
        c.allocation = .split(bandwidth: rate * 10 / 8, reservedShare: 0.8)
        var client = ClientCore(configuration: c, table: try OneRow.table())
        let t0 = Quartet.t0
        var serverSeq: UInt32 = 1
        func from(_ s: NodeID, _ kind: MessageKind, _ m: Message) -> Inbound {
            serverSeq += 1
            return Inbound(kind: kind, id: RequestID(source: s, sequence: serverSeq), generation: 0, message: m)
        }
        /// One put answered by three offers; returns its transfer's rate and proposal id.
        func putOnce(_ byte: UInt8, at now: Instant) throws -> (RendezvousWindow, RequestID, PutProposal) {
            let chunk = Quartet.chunk(byte, count: 100_000)
            _ = client.put(chunk, contentHash: ContentHash.of(chunk), now: now)
            var proposal: (RequestID, PutProposal)?
            for case .send(let out) in client.pollActions() {
                if case .putProposal(let p) = out.message { proposal = (out.id, p) }
            }
            let (id, p) = try #require(proposal)
            for s in OneRow.servers {
                let w = RendezvousWindow(start: now + .milliseconds(1), duration: .seconds(1), rate: 1_000 * mb)
                client.handle(from(s, .response, .putAccept(PutAccept(proposal: id, negotiatingGroup: OneRow.row, answer: .proposedRendezvous(w)))), now: now)
            }
            var window: RendezvousWindow?
            for case .send(let out) in client.pollActions() {
                if case .rendezvousTransfer = out.message { window = out.pacing }
            }
            return (try #require(window), id, p)
        }
        let (w1, id1, p1) = try putOnce(1, at: t0)
        #expect(p1.maxDeliveryRate == rate && w1.rate == rate)
        let hash1 = p1.contentHash
        client.handle(from(s1, .response, .payloadNak(PayloadNak(proposal: id1, contentHash: hash1, code: .incomplete))), now: t0 + .milliseconds(5))
        client.handle(from(s2, .response, .payloadAck(PayloadAck(proposal: id1, contentHash: hash1, name: nil))), now: t0 + .milliseconds(5))
        client.handle(from(s3, .response, .payloadAck(PayloadAck(proposal: id1, contentHash: hash1, name: nil))), now: t0 + .milliseconds(5))
        #expect(client.serverRateCaps[s1]?.current == rate / 2)
        #expect(client.serverRateCaps[s2] == nil && client.serverRateCaps[s3] == nil)

        // The next put: proposed at s1's cap (the row's lowest); an offer above it (these
        // scripted ones) is taken at the cap.
        let (w2, id2, p2) = try putOnce(2, at: t0 + .seconds(1))
        #expect(p2.maxDeliveryRate == rate / 2)
        #expect(w2.rate == rate / 2)
        for s in OneRow.servers {
            client.handle(from(s, .response, .payloadAck(PayloadAck(proposal: id2, contentHash: p2.contentHash, name: nil))), now: t0 + .seconds(2))
        }
        #expect(client.serverRateCaps[s1]?.current == rate / 2 + rate / RateCap.divisor)
        // A NAK that is not about congestion (a full store) leaves the caps alone.
        let (_, id3, p3) = try putOnce(3, at: t0 + .seconds(3))
        client.handle(from(s2, .response, .payloadNak(PayloadNak(proposal: id3, contentHash: p3.contentHash, code: .storageFailure))), now: t0 + .seconds(4))
        #expect(client.serverRateCaps[s2] == nil)
    }

    @Test("a server that NAKs an incomplete transfer offers half the rate next, and recovers a step per stored chunk")
    func serverBacksOffOnIncomplete() throws {
        let rate = 64 * mb
        var c = ServerConfiguration(id: s1)
        c.reservedInboundRate = rate
        var server = ServerCore(configuration: c, table: try OneRow.table(), catalog: ChunkCatalog(), freeBytes: 1 << 30)
        _ = server.pollActions()
        let group = GroupAddress(ipv4: 239, 78, 0, 9, port: 7077)
        let t0 = Quartet.t0
        func propose(_ seq: UInt32, at now: Instant) -> RendezvousWindow? {
            let m = PutProposal(
                negotiatingGroup: OneRow.row, contentHash: ContentHash.of([UInt8(seq)]), name: nil, chunkLength: 100_000,
                deliveryGroup: group, maxDeliveryRate: 1_000 * mb, replicas: 3, consensus: .client)
            server.handle(Inbound(kind: .request, id: RequestID(source: OneRow.client, sequence: seq, subsequence: 5), generation: 0, message: .putProposal(m)), now: now)
            for case .send(let out) in server.pollActions() {
                if case .putAccept(let a) = out.message, case .proposedRendezvous(let w) = a.answer { return w }
            }
            return nil
        }
        let first = try #require(propose(1, at: t0))
        #expect(first.rate == rate)
        server.transferIncomplete(RequestID(source: OneRow.client, sequence: 1, subsequence: 6), now: t0 + .milliseconds(10))
        let naks = server.pollActions().compactMap { a -> NakCode? in
            if case .send(let out) = a, case .payloadNak(let n) = out.message { return n.code } else { return nil }
        }
        #expect(naks == [.incomplete])
        #expect(server.inboundRateCap == rate / 2)
        let second = try #require(propose(2, at: t0 + .milliseconds(20)))
        #expect(second.rate == rate / 2)
        // The offers together stay within the cap too: a third proposal waits for the second
        // offer's window to end.
        let third = try #require(propose(3, at: t0 + .milliseconds(20)))
        #expect(third.rate == rate / 2 && third.start >= second.start + .nanoseconds(Int64(100_000 * 1e9 / Double(rate / 2))))
    }
}
