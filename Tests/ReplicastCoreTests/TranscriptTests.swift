import ReplicastCore
import ReplicastWire
import Testing

/// Whole transactions between a client and three servers (`Quartet`), read as the messages
/// they exchange: who sends what to whom, in order (docs/PROTOCOL.md section 7), and how
/// each ends. "NG" is the row's Negotiating Group, "RG" the transaction's Rendezvous Group.
@Suite struct TranscriptTests {
    let s1 = OneRow.servers[0], s2 = OneRow.servers[1], s3 = OneRow.servers[2]
    let t0 = Quartet.t0

    /// Every server holds `chunk`.
    func everyServer(_ chunk: Payload) -> [NodeID: [Payload]] {
        Dictionary(uniqueKeysWithValues: OneRow.servers.map { ($0, [chunk]) })
    }

    /// After a transaction: no server keeps state for it or stays in its Rendezvous Group,
    /// and the Negotiating Group still has every server.
    func expectClean(_ q: Quartet, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(q.rendezvousGroups.isEmpty, "\(q.rendezvousGroups)", sourceLocation: sourceLocation)
        #expect(OneRow.servers.map { q.server($0).openTransactions } == [0, 0, 0], sourceLocation: sourceLocation)
        let ng = try #require(q.table.row(OneRow.row)?.addresses.negotiating.first)
        #expect(q.groups[ng] == Set(OneRow.servers), sourceLocation: sourceLocation)
        #expect(q.client.inFlight == 0, sourceLocation: sourceLocation)
    }

    // MARK: - Puts

    @Test("put, client consensus: proposal, three offers, the client's decision, one transfer, three ACKs, Relayed ACK")
    func putClientConsensus() throws {
        var q = try Quartet()
        let chunk = Quartet.chunk(1)
        let put = q.put(chunk)
        try q.settle()

        #expect(q.transcript == [
            "c1 -> NG: Put Proposal c1#1.5 (client, 3 replicas)",
            "s1 -> c1: Put Accept c1#1.5: rendezvous",
            "s2 -> c1: Put Accept c1#1.5: rendezvous",
            "s3 -> c1: Put Accept c1#1.5: rendezvous",
            "c1 -> RG: Consensus Put Accept c1#1.5: [s1, s2, s3]",
            "c1 -> RG: Rendezvous Transfer c1#1.5 to [s1, s2, s3]",
            "s1 -> c1: Payload ACK c1#1.5",
            "s2 -> c1: Payload ACK c1#1.5",
            "s3 -> c1: Payload ACK c1#1.5",
            "c1 -> NG: Relayed ACK c1#1.5: stored on [s1, s2, s3]",
        ])
        // The offers joined the servers to the RG: the decision and the transfer reach them.
        #expect(q.message("c1 -> RG: Rendezvous Transfer c1#1.5 to [s1, s2, s3]")?.receivers == OneRow.servers)
        // The transfer leaves at the agreed window, not with the decision.
        let decided = try #require(q.message("c1 -> RG: Consensus Put Accept c1#1.5: [s1, s2, s3]"))
        let transferred = try #require(q.message("c1 -> RG: Rendezvous Transfer c1#1.5 to [s1, s2, s3]"))
        #expect(transferred.time > decided.time)
        #expect(transferred.time == transferred.outbound.pacing?.start)
        #expect(q.putResult(put) == .success(PutReceipt(
            contentHash: ContentHash.of(chunk), storedOn: OneRow.servers, alreadyStored: [], transferred: true, attempts: 1)))
        for s in OneRow.servers { #expect(q.stores[s]!.chunks[ContentHash.of(chunk)] == chunk) }
        try expectClean(q)
    }

    @Test("put, cluster consensus: the members answer each other, the leader tells the client and collects the ACKs")
    func putClusterConsensus() throws {
        var q = try Quartet()
        // The leader is the first-listed designated member among the chosen.
        #expect(q.table.designated(of: OneRow.row).first == s2)
        let chunk = Quartet.chunk(1)
        let put = q.put(chunk, consensus: .cluster)
        try q.settle()

        #expect(q.transcript == [
            "c1 -> NG: Put Proposal c1#1.5 (cluster, 3 replicas)",
            "s1 -> NG: Put Accept c1#1.5: rendezvous",
            "s2 -> NG: Put Accept c1#1.5: rendezvous",
            "s3 -> NG: Put Accept c1#1.5: rendezvous",
            "s2 -> c1: Consensus Put Accept c1#1.5: [s1, s2, s3]",
            "c1 -> RG: Rendezvous Transfer c1#1.5 to [s1, s2, s3]",
            "s1 -> RG: Payload ACK c1#1.5",
            "s2 -> RG: Payload ACK c1#1.5",
            "s3 -> RG: Payload ACK c1#1.5",
            "s2 -> c1: Consensus ACK c1#1.5: stored on [s1, s2, s3]",
            "c1 -> NG: Relayed ACK c1#1.5: stored on [s1, s2, s3]",
        ])
        // A member's answer to the NG reaches the other members, never itself.
        #expect(q.message("s1 -> NG: Put Accept c1#1.5: rendezvous")?.receivers == [s2, s3])
        #expect(q.message("s3 -> NG: Put Accept c1#1.5: rendezvous")?.receivers == [s1, s2])
        #expect(q.putResult(put) == .success(PutReceipt(
            contentHash: ContentHash.of(chunk), storedOn: OneRow.servers, alreadyStored: [], transferred: true, attempts: 1)))
        try expectClean(q)
    }

    // MARK: - Gets

    @Test("get, client consensus: the client joins the RG, takes the earliest offer, accepts it, and the chosen server delivers")
    func getClientConsensus() throws {
        let chunk = Quartet.chunk(2)
        var q = try Quartet(holding: everyServer(chunk))
        let get = q.get(chunk)
        #expect(q.rendezvousGroups.values.map { $0 } == [[OneRow.client]])  // joined before the request
        try q.settle()

        #expect(q.transcript == [
            "c1 -> NG: Get Request c1#1.2 (client)",
            "s1 -> c1: Get Response c1#1.2: offer",
            "s2 -> c1: Get Response c1#1.2: offer",
            "s3 -> c1: Get Response c1#1.2: offer",
            "c1 -> NG: Get Accept c1#1.2: s1",
            "s1 -> RG: Rendezvous Transfer c1#1.2 to [c1]",
        ])
        #expect(q.message("s1 -> RG: Rendezvous Transfer c1#1.2 to [c1]")?.receivers == [OneRow.client])
        #expect(q.getResult(get) == .success(GetReceipt(
            contentHash: ContentHash.of(chunk), name: nil, payload: chunk, server: s1, volunteers: [], immediate: false)))
        #expect(q.server(s1).stats.transfersServed == 1)
        #expect(q.server(s2).stats.transfersServed == 0 && q.server(s3).stats.transfersServed == 0)
        try expectClean(q)
    }

    @Test("get, client consensus, of a small chunk: the holder answers with the chunk itself, the others not found")
    func getClientConsensusImmediate() throws {
        let chunk = Quartet.chunk(3, count: 100)
        var q = try Quartet(holding: [s2: [chunk]])
        let get = q.get(chunk)
        try q.settle()

        #expect(q.transcript == [
            "c1 -> NG: Get Request c1#1.2 (client)",
            "s1 -> c1: Error Get Response c1#1.2: notFound",
            "s3 -> c1: Error Get Response c1#1.2: notFound",
            "s2 -> c1: Get Response c1#1.2: immediate",  // after its load
        ])
        #expect(q.getResult(get) == .success(GetReceipt(
            contentHash: ContentHash.of(chunk), name: nil, payload: chunk, server: s2, volunteers: [], immediate: true)))
        try expectClean(q)
    }

    @Test("get, cluster consensus: the members answer each other and the best offer delivers, with no Get Accept")
    func getClusterConsensus() throws {
        let chunk = Quartet.chunk(2)
        var q = try Quartet(holding: everyServer(chunk))
        let get = q.get(chunk, consensus: .cluster)
        try q.settle()

        #expect(q.transcript == [
            "c1 -> NG: Get Request c1#1.2 (cluster)",
            "s1 -> NG: Get Response c1#1.2: offer",
            "s2 -> NG: Get Response c1#1.2: offer",
            "s3 -> NG: Get Response c1#1.2: offer",
            "s1 -> RG: Rendezvous Transfer c1#1.2 to [c1]",
        ])
        #expect(q.message("s2 -> NG: Get Response c1#1.2: offer")?.receivers == [s1, s3])
        let receipt = try #require(try q.getResult(get)?.get())
        #expect(receipt.payload == chunk && receipt.contentHash == ContentHash.of(chunk))
        #expect(receipt.volunteers == [] && !receipt.immediate)
        #expect(receipt.server == s1)  // the transfer's sender, not its first listed member
        try expectClean(q)
    }

    @Test("get of a chunk no member holds: not found, from every member (client consensus) or from the first designated (cluster)")
    func getNotFound() throws {
        var q = try Quartet()
        let chunk = Quartet.chunk(4)
        let byClient = q.get(chunk)
        try q.settle()
        let byCluster = q.get(chunk, consensus: .cluster)
        try q.settle()

        #expect(q.transcript == [
            "c1 -> NG: Get Request c1#1.2 (client)",
            "s1 -> c1: Error Get Response c1#1.2: notFound",
            "s2 -> c1: Error Get Response c1#1.2: notFound",
            "s3 -> c1: Error Get Response c1#1.2: notFound",
            "c1 -> NG: Get Request c1#2.2 (cluster)",
            "s1 -> NG: Error Get Response c1#2.2: notFound",
            "s2 -> NG: Error Get Response c1#2.2: notFound",
            "s3 -> NG: Error Get Response c1#2.2: notFound",
            "s2 -> c1: Error Get Response c1#2.2: notFound",
        ])
        #expect(q.getResult(byClient) == .failure(.notFound))
        #expect(q.getResult(byCluster) == .failure(.notFound))
        try expectClean(q)
    }

    @Test("get, client consensus, with a volunteer: it asks the NG to join the delivery, and the chosen server's transfer lists it")
    func getClientConsensusWithVolunteer() throws {
        let chunk = Quartet.chunk(2)
        var q = try Quartet(holding: [s1: [chunk], s2: [chunk]], servers: { $0.volunteer = $0.id == OneRow.servers[2] })
        let get = q.get(chunk)
        try q.settle()

        #expect(q.transcript == [
            "c1 -> NG: Get Request c1#1.2 (client)",
            "s1 -> c1: Get Response c1#1.2: offer",
            "s2 -> c1: Get Response c1#1.2: offer",
            "s3 -> NG: Additional Target Request c1#1.2",
            "s3 -> c1: Error Get Response c1#1.2: notFound",
            "c1 -> NG: Get Accept c1#1.2: s1",
            "s1 -> RG: Rendezvous Transfer c1#1.2 to [c1, s3]",
        ])
        #expect(q.message("s1 -> RG: Rendezvous Transfer c1#1.2 to [c1, s3]")?.receivers == [s3, OneRow.client])
        #expect(q.getResult(get) == .success(GetReceipt(
            contentHash: ContentHash.of(chunk), name: nil, payload: chunk, server: s1, volunteers: [s3], immediate: false)))
        #expect(q.stores[s3]!.chunks[ContentHash.of(chunk)] == chunk)
        #expect(q.server(s3).catalog.chunks[ContentHash.of(chunk)]?.designated == false)  // a volunteer's copy
        #expect(q.server(s3).stats.volunteerCopies == 1)
        try expectClean(q)
    }

    // MARK: - Faults

    @Test("a failed store is NAKed; the client aborts the round and proposes again; the others now answer already stored")
    func nakAndRetry() throws {
        var q = try Quartet()
        q.failNextStore(on: s2, with: .ioError)
        let chunk = Quartet.chunk(1)
        let put = q.put(chunk)
        try q.settle()

        #expect(q.transcript == [
            "c1 -> NG: Put Proposal c1#1.5 (client, 3 replicas)",
            "s1 -> c1: Put Accept c1#1.5: rendezvous",
            "s2 -> c1: Put Accept c1#1.5: rendezvous",
            "s3 -> c1: Put Accept c1#1.5: rendezvous",
            "c1 -> RG: Consensus Put Accept c1#1.5: [s1, s2, s3]",
            "c1 -> RG: Rendezvous Transfer c1#1.5 to [s1, s2, s3]",
            "s1 -> c1: Payload ACK c1#1.5",
            "s2 -> c1: Payload NAK c1#1.5: storageFailure",
            "s3 -> c1: Payload ACK c1#1.5",
            // Every member has answered and left by now: the abort reaches nobody.
            "c1 -> RG: Transfer Abort c1#1.5: superseded [no receiver]",
            // Attempt 2: sub-sequences 5a = 10, 5a + 1, 5a + 2, 5a + 4.
            "c1 -> NG: Put Proposal c1#1.10 (client, 3 replicas)",
            "s1 -> c1: Put Accept c1#1.10: already stored",
            "s2 -> c1: Put Accept c1#1.10: rendezvous",
            "s3 -> c1: Put Accept c1#1.10: already stored",
            "c1 -> RG: Consensus Put Accept c1#1.10: [s2], already stored [s1, s3]",
            "c1 -> RG: Rendezvous Transfer c1#1.10 to [s2]",
            "s2 -> c1: Payload ACK c1#1.10",
            "c1 -> NG: Relayed ACK c1#1.10: stored on [s1, s2, s3]",
        ])
        // The second attempt waits the randomized back-off (seeded: the same every run).
        let aborted = try #require(q.message("c1 -> RG: Transfer Abort c1#1.5: superseded [no receiver]"))
        let retried = try #require(q.message("c1 -> NG: Put Proposal c1#1.10 (client, 3 replicas)"))
        #expect(retried.time - aborted.time > .milliseconds(5))
        #expect(q.putResult(put) == .success(PutReceipt(
            contentHash: ContentHash.of(chunk), storedOn: OneRow.servers, alreadyStored: [], transferred: true, attempts: 2)))
        #expect(q.server(s2).stats.naks == 1)
        #expect(OneRow.servers.map { q.server($0).stats.chunksStored } == [1, 1, 1])
        try expectClean(q)
    }

    @Test("cluster consensus: a transfer corrupted on its way to one member is NAKed (hash mismatch); the leader reports the others and the client retries for it")
    func nakAndRetryClusterConsensus() throws {
        var q = try Quartet()
        q.corruptNext(.rendezvousTransfer, to: s3)
        let chunk = Quartet.chunk(1)
        let put = q.put(chunk, consensus: .cluster)
        try q.settle()

        #expect(q.transcript == [
            "c1 -> NG: Put Proposal c1#1.5 (cluster, 3 replicas)",
            "s1 -> NG: Put Accept c1#1.5: rendezvous",
            "s2 -> NG: Put Accept c1#1.5: rendezvous",
            "s3 -> NG: Put Accept c1#1.5: rendezvous",
            "s2 -> c1: Consensus Put Accept c1#1.5: [s1, s2, s3]",
            "c1 -> RG: Rendezvous Transfer c1#1.5 to [s1, s2, s3] [corrupted to s3]",
            "s1 -> RG: Payload ACK c1#1.5",
            "s2 -> RG: Payload ACK c1#1.5",
            "s3 -> RG: Payload NAK c1#1.5: hashMismatch",
            "s2 -> c1: Consensus ACK c1#1.5: stored on [s1, s2]",
            "c1 -> RG: Transfer Abort c1#1.5: superseded [no receiver]",
            "c1 -> NG: Put Proposal c1#1.10 (cluster, 3 replicas)",
            "s1 -> NG: Put Accept c1#1.10: already stored",
            "s2 -> NG: Put Accept c1#1.10: already stored",
            "s3 -> NG: Put Accept c1#1.10: rendezvous",
            // The leader of attempt 2 is the one member chosen.
            "s3 -> c1: Consensus Put Accept c1#1.10: [s3], already stored [s1, s2]",
            "c1 -> RG: Rendezvous Transfer c1#1.10 to [s3]",
            "s3 -> RG: Payload ACK c1#1.10 [no receiver]",
            "s3 -> c1: Consensus ACK c1#1.10: stored on [s3]",
            "c1 -> NG: Relayed ACK c1#1.10: stored on [s1, s2, s3]",
        ])
        #expect(q.putResult(put) == .success(PutReceipt(
            contentHash: ContentHash.of(chunk), storedOn: OneRow.servers, alreadyStored: [], transferred: true, attempts: 2)))
        #expect(q.stores[s3]!.chunks[ContentHash.of(chunk)] == chunk)  // the good copy of attempt 2
        try expectClean(q)
    }

    @Test("Not Now: a member short of space declines; with too few offers the client releases the others and proposes again no earlier than the member asked")
    func notNow() throws {
        var q = try Quartet()
        q.setFreeBytes(100, on: s3)
        let chunk = Quartet.chunk(1)
        let put = q.put(chunk)
        try q.run(for: .seconds(1))

        #expect(q.transcript == [
            "c1 -> NG: Put Proposal c1#1.5 (client, 3 replicas)",
            "s1 -> c1: Put Accept c1#1.5: rendezvous",
            "s2 -> c1: Put Accept c1#1.5: rendezvous",
            "s3 -> c1: Put Accept c1#1.5: not now",
            // No choice can make three replicas: an empty decision releases s1's and s2's offers.
            "c1 -> RG: Consensus Put Accept c1#1.5: []",
        ])
        #expect(q.message("c1 -> RG: Consensus Put Accept c1#1.5: []")?.receivers == [s1, s2])  // s3 never joined
        #expect(q.putResult(put) == nil)
        #expect(q.rendezvousGroups.isEmpty)
        #expect(q.server(s1).calendar.reservations.isEmpty && q.server(s2).calendar.reservations.isEmpty)
        #expect(q.server(s3).stats.notNow == 1)

        // s3 has room again before the retry it asked for (its maxWait after the proposal came).
        q.setFreeBytes(1 << 20, on: s3)
        try q.settle()
        #expect(Array(q.transcript.dropFirst(5)) == [
            "c1 -> NG: Put Proposal c1#1.10 (client, 3 replicas)",
            "s1 -> c1: Put Accept c1#1.10: rendezvous",
            "s2 -> c1: Put Accept c1#1.10: rendezvous",
            "s3 -> c1: Put Accept c1#1.10: rendezvous",
            "c1 -> RG: Consensus Put Accept c1#1.10: [s1, s2, s3]",
            "c1 -> RG: Rendezvous Transfer c1#1.10 to [s1, s2, s3]",
            "s1 -> c1: Payload ACK c1#1.10",
            "s2 -> c1: Payload ACK c1#1.10",
            "s3 -> c1: Payload ACK c1#1.10",
            "c1 -> NG: Relayed ACK c1#1.10: stored on [s1, s2, s3]",
        ])
        let proposalReached = t0 + q.latency
        #expect(q.message("c1 -> NG: Put Proposal c1#1.10 (client, 3 replicas)")?.time
            == proposalReached + q.server(s3).configuration.maxWait)
        #expect(q.putResult(put) == .success(PutReceipt(
            contentHash: ContentHash.of(chunk), storedOn: OneRow.servers, alreadyStored: [], transferred: true, attempts: 2)))
        try expectClean(q)
    }

    @Test("a Put Proposal delivered twice is answered twice with the same response, and acted on once")
    func duplicateProposalAnsweredFromCache() throws {
        var q = try Quartet()
        q.duplicateNext(.putProposal)
        let chunk = Quartet.chunk(1)
        let put = q.put(chunk)
        try q.settle()

        #expect(q.transcript(ids: true) == [
            "c1#1.5 c1 -> NG: Put Proposal c1#1.5 (client, 3 replicas) [delivered twice]",
            "s1#1.0 s1 -> c1: Put Accept c1#1.5: rendezvous",
            "s1#1.0 s1 -> c1: Put Accept c1#1.5: rendezvous",
            "s2#1.0 s2 -> c1: Put Accept c1#1.5: rendezvous",
            "s2#1.0 s2 -> c1: Put Accept c1#1.5: rendezvous",
            "s3#1.0 s3 -> c1: Put Accept c1#1.5: rendezvous",
            "s3#1.0 s3 -> c1: Put Accept c1#1.5: rendezvous",
            "c1#1.9 c1 -> RG: Consensus Put Accept c1#1.5: [s1, s2, s3]",
            "c1#1.6 c1 -> RG: Rendezvous Transfer c1#1.5 to [s1, s2, s3]",
            "s1#2.0 s1 -> c1: Payload ACK c1#1.5",
            "s2#2.0 s2 -> c1: Payload ACK c1#1.5",
            "s3#2.0 s3 -> c1: Payload ACK c1#1.5",
            "c1#1.7 c1 -> NG: Relayed ACK c1#1.5: stored on [s1, s2, s3]",
        ])
        for s in OneRow.servers {
            #expect(q.server(s).stats.proposals == 1)
            #expect(q.server(s).stats.duplicateRequests == 1)
            #expect(q.server(s).stats.acceptsOffered == 1)
        }
        #expect(q.putResult(put) == .success(PutReceipt(
            contentHash: ContentHash.of(chunk), storedOn: OneRow.servers, alreadyStored: [], transferred: true, attempts: 1)))
        // One join per server, so the one leave after the ACK leaves the RG.
        try expectClean(q)
    }

    @Test("a Put Proposal that comes again after the put ended gets the cached answer, not a fresh one (already stored)")
    func lateDuplicateProposalAnsweredFromCache() throws {
        var q = try Quartet()
        q.duplicateNext(.putProposal, after: .milliseconds(5))
        let chunk = Quartet.chunk(1)
        _ = q.put(chunk)
        try q.settle()

        #expect(Array(q.transcript(ids: true).suffix(4)) == [
            "c1#1.7 c1 -> NG: Relayed ACK c1#1.5: stored on [s1, s2, s3]",
            "s1#1.0 s1 -> c1: Put Accept c1#1.5: rendezvous",
            "s2#1.0 s2 -> c1: Put Accept c1#1.5: rendezvous",
            "s3#1.0 s3 -> c1: Put Accept c1#1.5: rendezvous",
        ])
        for s in OneRow.servers {
            #expect(q.server(s).stats.proposals == 1)
            #expect(q.server(s).stats.duplicateRequests == 1)
            #expect(q.server(s).calendar.reservations.isEmpty)
        }
        #expect(q.outcomes.count == 1)
        try expectClean(q)
    }

    @Test("a lost Put Accept: the client decides when its collection time is over, and the decision releases the member it did not hear")
    func lostPutAccept() throws {
        var q = try Quartet()
        q.dropNext(.putAccept, from: s3)
        let chunk = Quartet.chunk(1)
        let put = q.put(chunk, replicas: 2)
        // Up to the moment the decision reaches the members, before the transfer does.
        try q.run(until: t0 + q.client.configuration.initialCollectTimeout + q.latency)
        let proposal = RequestID(source: OneRow.client, sequence: 1, subsequence: 5)
        let booked = [s1, s2].map { s in q.server(s).calendar.reservations.first { $0.key == proposal }?.window }
        try q.settle()

        #expect(q.transcript == [
            "c1 -> NG: Put Proposal c1#1.5 (client, 2 replicas)",
            "s1 -> c1: Put Accept c1#1.5: rendezvous",
            "s2 -> c1: Put Accept c1#1.5: rendezvous",
            "s3 -> c1: Put Accept c1#1.5: rendezvous [dropped]",
            "c1 -> RG: Consensus Put Accept c1#1.5: [s1, s2]",
            "c1 -> RG: Rendezvous Transfer c1#1.5 to [s1, s2]",
            "s1 -> c1: Payload ACK c1#1.5",
            "s2 -> c1: Payload ACK c1#1.5",
            "c1 -> NG: Relayed ACK c1#1.5: stored on [s1, s2]",
        ])
        let decision = try #require(q.message("c1 -> RG: Consensus Put Accept c1#1.5: [s1, s2]"))
        let transfer = try #require(q.message("c1 -> RG: Rendezvous Transfer c1#1.5 to [s1, s2]"))
        #expect(decision.time == t0 + q.client.configuration.initialCollectTimeout)
        // s3 offered, so it is in the RG and hears the decision that leaves it out.
        #expect(decision.receivers == OneRow.servers)
        let window = try #require(transfer.outbound.pacing)
        // The offers had begun long before: the agreed window starts at the decision, and the
        // chosen members booked it anew, so the transfer leaves within their bookings.
        #expect(window.start >= decision.time)
        #expect(booked == [window, window])
        #expect(q.putResult(put) == .success(PutReceipt(
            contentHash: ContentHash.of(chunk), storedOn: [s1, s2], alreadyStored: [], transferred: true, attempts: 1)))
        #expect(q.stores[s3]!.chunks.isEmpty)
        try expectClean(q)
    }

    // MARK: - Issues the core had, pinned by what it does now

    @Test("cluster consensus: when the leader's own store fails, its Consensus ACK still lists the members that stored the chunk")
    func leaderNakWaitsForItsPeers() throws {
        var q = try Quartet()
        #expect(q.table.designated(of: OneRow.row).first == s2)  // the leader
        q.failNextStore(on: s2, with: .ioError)
        let chunk = Quartet.chunk(1)
        let put = q.put(chunk, consensus: .cluster)
        try q.settle()

        let first = try #require(q.sent.lazy.compactMap { s -> ConsensusAck? in
            if case .consensusAck(let m) = s.outbound.message { return m } else { return nil }
        }.first)
        #expect(q.stores[s1]!.chunks[ContentHash.of(chunk)] == chunk && q.stores[s3]!.chunks[ContentHash.of(chunk)] == chunk)
        #expect(first.storedOn == [s1, s3])
        // The retry repairs it: s1 and s3 answer already stored.
        let receipt = try #require(try q.putResult(put)?.get())
        #expect(receipt.attempts == 2)
        #expect((receipt.storedOn + receipt.alreadyStored).sorted() == OneRow.servers)
        try expectClean(q)
    }

    @Test("cluster consensus: a get whose chosen server cannot read the chunk is still served by another holder")
    func clusterGetSurvivesAFailedLoad() throws {
        let chunk = Quartet.chunk(2)
        var q = try Quartet(holding: everyServer(chunk))
        q.failNextLoad(on: s1, with: .ioError)
        let get = q.get(chunk, consensus: .cluster)
        try q.settle()

        #expect(q.transcript == [
            "c1 -> NG: Get Request c1#1.2 (cluster)",
            "s1 -> NG: Get Response c1#1.2: offer",
            "s2 -> NG: Get Response c1#1.2: offer",
            "s3 -> NG: Get Response c1#1.2: offer",
            // Not "not found" (the group's verdict that no member holds it): the client asks again.
            "s1 -> c1: Error Get Response c1#1.2: unavailable",
            "c1 -> NG: Get Request c1#1.4 (cluster)",
            // s1 does not offer what it just failed to read: another holder is chosen.
            "s1 -> NG: Content Not Immediately Available c1#1.4",
            "s2 -> NG: Get Response c1#1.4: offer",
            "s3 -> NG: Get Response c1#1.4: offer",
            "s2 -> RG: Rendezvous Transfer c1#1.4 to [c1]",
        ])
        let result = try #require(q.getResult(get))
        #expect(result.map(\.payload) == .success(chunk))
        try expectClean(q)
    }

    @Test("get, cluster consensus, with a volunteer: its Additional Target Request completes the round, and it keeps a copy")
    func getClusterConsensusWithVolunteer() throws {
        let chunk = Quartet.chunk(2)
        var q = try Quartet(holding: [s1: [chunk], s2: [chunk]], servers: { $0.volunteer = $0.id == OneRow.servers[2] })
        let get = q.get(chunk, consensus: .cluster)
        try q.settle()

        #expect(q.transcript == [
            "c1 -> NG: Get Request c1#1.2 (cluster)",
            "s1 -> NG: Get Response c1#1.2: offer",
            "s2 -> NG: Get Response c1#1.2: offer",
            "s3 -> NG: Additional Target Request c1#1.2",
            "s1 -> RG: Rendezvous Transfer c1#1.2 to [c1, s3]",
        ])
        let transfer = try #require(q.message("s1 -> RG: Rendezvous Transfer c1#1.2 to [c1, s3]"))
        #expect(try #require(q.getResult(get)).map(\.payload) == .success(chunk))
        // The Additional Target Request completes the round: the members decide at once.
        #expect(transfer.time < t0 + .milliseconds(1))
        #expect(transfer.receivers == [s3, OneRow.client])
        #expect(q.stores[s3]!.chunks[ContentHash.of(chunk)] == chunk)
        try expectClean(q)
    }
}
