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
}
