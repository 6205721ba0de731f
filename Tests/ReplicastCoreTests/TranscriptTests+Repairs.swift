import ReplicastCore
import ReplicastWire
import Testing

/// Transactions that went wrong in the core and what they do now, each read as the messages
/// exchanged and how it ends (the harness and conventions of `TranscriptTests`).
extension TranscriptTests {
    /// A name in the one row: bucket "b", key `key`, at `version`.
    func name(_ key: String, version: UInt64) -> ChunkName {
        ChunkName(
            bucket: ContentHash.of(Payload(copying: Array("b".utf8))), name: ContentHash.of(Payload(copying: Array(key.utf8))),
            version: version)
    }

    /// A get of the newest version of `name`'s object.
    func newest(_ name: ChunkName) -> GetTarget {
        .named(bucket: name.bucket, name: name.name, versions: 0...UInt64.max)
    }

    // MARK: - Named chunks

    @Test("get, cluster consensus, of a named chunk: the serving member tells the client the version it sends, and the receipt carries it")
    func namedGetClusterConsensus() throws {
        var q = try Quartet()
        let manifest = Quartet.chunk(5)
        let v7 = name("photos/cat", version: 7)
        _ = q.put(manifest, name: v7)
        try q.settle()
        q.clearTranscript()

        let get = q.get(newest(v7), consensus: .cluster)
        try q.settle()
        let receipt = try #require(try q.getResult(get)?.get())
        #expect(receipt.payload == manifest)
        #expect(receipt.name == v7)
        #expect(receipt.server == s1)
        #expect(q.transcript == [
            "c1 -> NG: Get Request c1#2.2 (cluster)",
            "s1 -> NG: Get Response c1#2.2: offer",
            "s2 -> NG: Get Response c1#2.2: offer",
            "s3 -> NG: Get Response c1#2.2: offer",
            "s1 -> c1: Get Response c1#2.2: offer",
            "s1 -> RG: Rendezvous Transfer c1#2.2 to [c1]",
        ])
        try expectClean(q)
    }

    @Test("a Named Put Proposal of content already stored under another version records the new version, and a get of the newest returns it")
    func namedReputRecordsTheNewVersion() throws {
        var q = try Quartet()
        let manifest = Quartet.chunk(5)
        let v1 = name("photos/cat", version: 1), v2 = name("photos/cat", version: 2)
        let first = q.put(manifest, name: v1)
        try q.settle()
        #expect(try q.putResult(first)?.get().storedOn == OneRow.servers)
        let second = q.put(manifest, name: v2)
        try q.settle()
        #expect(try q.putResult(second)?.get() != nil)
        for s in OneRow.servers {
            #expect(q.server(s).catalog.newest(bucket: v2.bucket, name: v2.name, in: 0...UInt64.max)?.0 == v2, "\(s)")
        }

        let byClient = q.get(newest(v2))
        let byCluster = q.get(newest(v2), consensus: .cluster)
        try q.settle()
        #expect(try q.getResult(byClient)?.get().name == v2)
        #expect(try q.getResult(byCluster)?.get().name == v2)
        try expectClean(q)
    }

    // MARK: - Bookings

    @Test("a Rendezvous Transfer no reservation booked is refused (Payload NAK unexpected) and not stored; the client then proposes")
    func unbookedTransferRefused() throws {
        // The client believes in a standing reservation the servers never granted.
        var q = try Quartet(client: { $0.standingReservation = StandingReservation(rate: 100_000_000, credit: 1 << 20) })
        let chunk = Quartet.chunk(1)
        let put = q.put(chunk)
        try q.settle()

        #expect(Array(q.transcript.prefix(6)) == [
            "c1 -> NG: Rendezvous Transfer c1#1.5 to [s2, s1, s3]",
            "s1 -> c1: Payload NAK c1#1.5: unexpected",
            "s2 -> c1: Payload NAK c1#1.5: unexpected",
            "s3 -> c1: Payload NAK c1#1.5: unexpected",
            "c1 -> RG: Transfer Abort c1#1.5: superseded [no receiver]",
            "c1 -> NG: Put Proposal c1#1.10 (client, 3 replicas)",
        ])
        let receipt = try #require(try q.putResult(put)?.get())
        #expect(receipt.attempts == 2 && receipt.storedOn == OneRow.servers)
        for s in OneRow.servers { #expect(q.server(s).stats.unbookedTransfers == 1) }  // after
        try expectClean(q)
    }

    @Test("a transfer on a standing reservation the servers granted is stored without a proposal")
    func standingTransferStored() throws {
        var q = try Quartet(
            client: { $0.standingReservation = StandingReservation(rate: 100_000_000, credit: 1 << 20) },
            servers: { $0.standingReservations = [OneRow.client: 100_000_000] })
        let chunk = Quartet.chunk(1)
        let put = q.put(chunk)
        try q.settle()
        #expect(q.transcript == [
            "c1 -> NG: Rendezvous Transfer c1#1.5 to [s2, s1, s3]",
            "s1 -> c1: Payload ACK c1#1.5",
            "s2 -> c1: Payload ACK c1#1.5",
            "s3 -> c1: Payload ACK c1#1.5",
            "c1 -> NG: Relayed ACK c1#1.5: stored on [s1, s2, s3]",
        ])
        #expect(try q.putResult(put)?.get().attempts == 1)
        try expectClean(q)
    }

    // MARK: - Immediate content

    @Test("a small chunk carried whole in its Put Proposal: the members store it and ACK at once, with no rendezvous, in either consensus")
    func immediatePut() throws {
        let held = Quartet.chunk(6, count: 300), fresh = Quartet.chunk(7, count: 300), tight = Quartet.chunk(8, count: 300)
        var q = try Quartet(holding: [s3: [held]], client: { $0.maxImmediatePut = 4096 })
        let byClient = q.put(held)
        try q.settle()
        let byCluster = q.put(fresh, consensus: .cluster)
        try q.settle()
        q.setFreeBytes(100, on: s2)
        let twoOfThree = q.put(tight, replicas: 2)
        try q.settle()

        #expect(q.transcript == [
            "c1 -> NG: Put Proposal c1#1.5 (client, 3 replicas, immediate)",
            "s3 -> c1: Put Accept c1#1.5: already stored",
            "s1 -> c1: Payload ACK c1#1.5",
            "s2 -> c1: Payload ACK c1#1.5",
            "c1 -> NG: Relayed ACK c1#1.5: stored on [s1, s2, s3]",
            // Whatever the consensus: there is no rendezvous to agree on.
            "c1 -> NG: Put Proposal c1#2.5 (cluster, 3 replicas, immediate)",
            "s1 -> c1: Payload ACK c1#2.5",
            "s2 -> c1: Payload ACK c1#2.5",
            "s3 -> c1: Payload ACK c1#2.5",
            "c1 -> NG: Relayed ACK c1#2.5: stored on [s1, s2, s3]",
            "c1 -> NG: Put Proposal c1#3.5 (client, 2 replicas, immediate)",
            "s2 -> c1: Put Accept c1#3.5: not now",
            "s1 -> c1: Payload ACK c1#3.5",
            "s3 -> c1: Payload ACK c1#3.5",
            "c1 -> NG: Relayed ACK c1#3.5: stored on [s1, s3]",
        ])
        #expect(q.putResult(byClient) == .success(PutReceipt(
            contentHash: ContentHash.of(held), storedOn: [s1, s2], alreadyStored: [s3], transferred: true, attempts: 1)))
        #expect(q.putResult(byCluster) == .success(PutReceipt(
            contentHash: ContentHash.of(fresh), storedOn: OneRow.servers, alreadyStored: [], transferred: true, attempts: 1)))
        #expect(q.putResult(twoOfThree) == .success(PutReceipt(
            contentHash: ContentHash.of(tight), storedOn: [s1, s3], alreadyStored: [], transferred: true, attempts: 1)))
        for s in OneRow.servers {
            #expect(q.stores[s]!.chunks[ContentHash.of(fresh)] == fresh)
            #expect(q.server(s).stats.acceptsOffered == 0)
        }
        try expectClean(q)
    }

    @Test("a proposal carrying a corrupted chunk is NAKed (hash mismatch) and the client proposes again")
    func immediatePutCorrupted() throws {
        let chunk = Quartet.chunk(6, count: 300)
        var q = try Quartet(client: { $0.maxImmediatePut = 4096 })
        q.corruptNext(.putProposal, to: s2)
        let put = q.put(chunk)
        try q.settle()
        #expect(q.transcript == [
            "c1 -> NG: Put Proposal c1#1.5 (client, 3 replicas, immediate) [corrupted to s2]",
            "s1 -> c1: Payload ACK c1#1.5",
            "s2 -> c1: Payload NAK c1#1.5: hashMismatch",
            "s3 -> c1: Payload ACK c1#1.5",
            "c1 -> NG: Put Proposal c1#1.10 (client, 3 replicas, immediate)",
            "s1 -> c1: Put Accept c1#1.10: already stored",
            "s3 -> c1: Put Accept c1#1.10: already stored",
            "s2 -> c1: Payload ACK c1#1.10",
            "c1 -> NG: Relayed ACK c1#1.10: stored on [s1, s2, s3]",
        ])
        #expect(try q.putResult(put)?.get().attempts == 2)
        try expectClean(q)
    }

    // MARK: - Reads that fail

    @Test("get, client consensus: the accepted server cannot read the chunk; the client asks again and another holder serves while the first answers Content Not Immediately Available")
    func unreadableChunkNotImmediatelyAvailable() throws {
        let chunk = Quartet.chunk(2)
        var q = try Quartet(holding: everyServer(chunk))
        q.failNextLoad(on: s1, with: .ioError)
        let get = q.get(chunk)
        try q.settle()

        #expect(q.transcript == [
            "c1 -> NG: Get Request c1#1.2 (client)",
            "s1 -> c1: Get Response c1#1.2: offer",
            "s2 -> c1: Get Response c1#1.2: offer",
            "s3 -> c1: Get Response c1#1.2: offer",
            "c1 -> NG: Get Accept c1#1.2: s1",
            "s1 -> c1: Error Get Response c1#1.2: unavailable",
            "c1 -> NG: Get Request c1#1.4 (client)",
            "s1 -> c1: Content Not Immediately Available c1#1.4",
            "s2 -> c1: Get Response c1#1.4: offer",
            "s3 -> c1: Get Response c1#1.4: offer",
            "c1 -> NG: Get Accept c1#1.4: s2",
            "s2 -> RG: Rendezvous Transfer c1#1.4 to [c1]",
        ])
        // The client did not wait out the failed window: it asked again after its back-off.
        let failed = try #require(q.message("s1 -> c1: Error Get Response c1#1.2: unavailable"))
        let again = try #require(q.message("c1 -> NG: Get Request c1#1.4 (client)"))
        #expect(again.time - failed.time < .milliseconds(50))
        #expect(try q.getResult(get)?.get().server == s2)
        try expectClean(q)
    }

    @Test("a locate probe counts a member that cannot deliver the chunk now among its holders")
    func locateCountsUnavailableHolders() throws {
        let chunk = Quartet.chunk(2)
        var q = try Quartet(holding: everyServer(chunk))
        q.failNextLoad(on: s1, with: .ioError)
        _ = q.get(chunk)
        try q.settle()
        let probe = q.locate(chunk)
        try q.settle()
        #expect(q.transcript.suffix(4) == [
            "c1 -> NG: Get Request c1#2.2 (client)",
            "s1 -> c1: Content Not Immediately Available c1#2.2",
            "s2 -> c1: Get Response c1#2.2: offer",
            "s3 -> c1: Get Response c1#2.2: offer",
        ])
        #expect(q.locateResult(probe)?.holders == OneRow.servers)
        try expectClean(q)
    }

    @Test("get, cluster consensus, when the only holder cannot read the chunk: the group answers Content Not Immediately Available, and the client asks again then")
    func onlyHolderNotImmediatelyAvailable() throws {
        let chunk = Quartet.chunk(2)
        var q = try Quartet(holding: [s1: [chunk]])
        q.failNextLoad(on: s1, with: .ioError)
        let get = q.get(chunk, consensus: .cluster)
        try q.settle()

        #expect(q.transcript == [
            "c1 -> NG: Get Request c1#1.2 (cluster)",
            "s1 -> NG: Get Response c1#1.2: offer",
            "s2 -> NG: Error Get Response c1#1.2: notFound",
            "s3 -> NG: Error Get Response c1#1.2: notFound",
            "s1 -> c1: Error Get Response c1#1.2: unavailable",
            "c1 -> NG: Get Request c1#1.4 (cluster)",
            "s1 -> NG: Content Not Immediately Available c1#1.4",
            "s2 -> NG: Error Get Response c1#1.4: notFound",
            "s3 -> NG: Error Get Response c1#1.4: notFound",
            // The first designated member speaks for the group: not "not found", but when.
            "s2 -> c1: Content Not Immediately Available c1#1.4",
            "c1 -> NG: Get Request c1#1.6 (cluster)",
            "s1 -> NG: Get Response c1#1.6: offer",
            "s2 -> NG: Error Get Response c1#1.6: notFound",
            "s3 -> NG: Error Get Response c1#1.6: notFound",
            "s1 -> RG: Rendezvous Transfer c1#1.6 to [c1]",
        ])
        // The client asked again no earlier than s1 said it could deliver.
        let failed = try #require(q.message("s1 -> c1: Error Get Response c1#1.2: unavailable"))
        let third = try #require(q.message("c1 -> NG: Get Request c1#1.6 (cluster)"))
        #expect(third.time >= failed.time + q.server(s1).configuration.grace)
        #expect(try q.getResult(get)?.get().payload == chunk)
        try expectClean(q)
    }

    // MARK: - Unsolicited allocation

    @Test("a server's answers (Get Responses here) stay within its unsolicited outbound allocation: a burst, then its rate")
    func serverAnswersPaced() throws {
        let chunk = Quartet.chunk(2)
        // 100 answers a second at 256 bytes each, after a burst of 32.
        var q = try Quartet(holding: everyServer(chunk), servers: { $0.allocation.unsolicitedOutbound = 25_600 })
        let gets = (0..<40).map { _ in q.get(chunk) }
        try q.settle(maxSteps: 100_000)

        for s in OneRow.servers {
            let times = q.sent.filter { sent in
                if case .rendezvousTransfer = sent.outbound.message { return false }
                return sent.from == s
            }.map(\.time)
            let first = try #require(times.first)
            #expect(times.count >= 40)
            for (i, t) in times.enumerated() {
                let allowed = 32 + Double((t - first).nanoseconds) / 1e9 * 100
                #expect(Double(i + 1) <= allowed + 1, "\(s): message \(i + 1) at \(t - first)")
            }
        }
        for get in gets { #expect(try q.getResult(get)?.get().payload == chunk) }
        try expectClean(q)
    }

    // MARK: - Back-off

    @Test("the back-off before attempt a + 1 is retryBackoff × 2^(a − 1) × a factor in [0.5, 1.5)")
    func backoffDoublesFromTheBase() throws {
        for seed in UInt64(1)...12 {
            var q = try Quartet(seed: seed)
            q.failNextStore(on: s2, with: .ioError)
            _ = q.put(Quartet.chunk(1))
            try q.settle()
            let aborted = try #require(q.message("c1 -> RG: Transfer Abort c1#1.5: superseded [no receiver]"))
            let retried = try #require(q.message("c1 -> NG: Put Proposal c1#1.10 (client, 3 replicas)"))
            let base = q.client.configuration.retryBackoff  // attempt 1: × 2^0
            let waited = retried.time - aborted.time
            #expect(waited >= base / 2 && waited < base * 3 / 2, "seed \(seed): \(waited)")
        }
    }
}
