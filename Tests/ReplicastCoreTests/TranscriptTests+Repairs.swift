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
}
