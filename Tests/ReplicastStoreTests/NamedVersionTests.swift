import ReplicastCore
import ReplicastStore
import ReplicastWire
import Testing

@Suite struct NamedVersionTests {
    let bucket = ContentHash.ofName("photos")
    let object = ContentHash.ofName("cat.jpg")

    @Test func newestVersionInRange() throws {
        let dir = TemporaryDirectory()
        let store = try ChunkStore(directory: dir.storePath)
        var manifests: [UInt64: HashID] = [:]
        for version: UInt64 in [9, 1, 5] {
            let (payload, hash) = chunk(200, seed: 50 + version)
            try store.put(payload, hash: hash, named: ChunkName(bucket: bucket, name: object, version: version))
            manifests[version] = hash
        }
        let other = ContentHash.ofName("dog.jpg")
        let (otherPayload, otherHash) = chunk(200, seed: 70)
        try store.put(otherPayload, hash: otherHash, named: ChunkName(bucket: bucket, name: other, version: 7))

        func newest(_ range: ClosedRange<UInt64>, name: HashID? = nil, bucket b: HashID? = nil) -> UInt64? {
            store.newestVersion(bucket: b ?? bucket, name: name ?? object, in: range).map { found in
                #expect(found.1 == manifests[found.0.version] || found.0.name != object)
                return found.0.version
            }
        }
        #expect(newest(0...UInt64.max) == 9)
        #expect(newest(0...10) == 9)
        #expect(newest(0...8) == 5)
        #expect(newest(5...5) == 5)
        #expect(newest(1...4) == 1)
        #expect(newest(2...4) == nil)
        #expect(newest(6...8) == nil)
        #expect(newest(10...UInt64.max) == nil)
        #expect(newest(0...UInt64.max, name: other) == 7)
        #expect(newest(0...UInt64.max, bucket: ContentHash.ofName("other bucket")) == nil)
        #expect(store.chunk(named: ChunkName(bucket: bucket, name: object, version: 5)) == manifests[5])
        #expect(store.chunk(named: ChunkName(bucket: bucket, name: object, version: 6)) == nil)

        // Removing the newest makes the previous one newest.
        try store.remove(manifests[9]!)
        #expect(newest(0...UInt64.max) == 5)
    }

    @Test func versionsSurviveRestart() throws {
        let dir = TemporaryDirectory()
        let versions: [UInt64] = [0, 1, 1 << 40, UInt64.max]
        do {
            let store = try ChunkStore(directory: dir.storePath)
            for v in versions {
                let (payload, hash) = chunk(64, seed: v &+ 7)
                try store.put(payload, hash: hash, named: ChunkName(bucket: bucket, name: object, version: v))
            }
        }
        let store = try ChunkStore(directory: dir.storePath)
        #expect(dir.files(in: "names").count == 4)
        #expect(store.newestVersion(bucket: bucket, name: object, in: 0...UInt64.max)?.0.version == .max)
        #expect(store.newestVersion(bucket: bucket, name: object, in: 0...(UInt64.max - 1))?.0.version == 1 << 40)
        #expect(store.newestVersion(bucket: bucket, name: object, in: 0...0)?.0.version == 0)
        for v in versions {
            let hash = try #require(store.chunk(named: ChunkName(bucket: bucket, name: object, version: v)))
            #expect(try store.get(hash) == chunk(64, seed: v &+ 7).0)
        }
    }

    @Test func aNameCannotBeReusedForDifferentContent() throws {
        let dir = TemporaryDirectory()
        let store = try ChunkStore(directory: dir.storePath)
        let name = ChunkName(bucket: bucket, name: object, version: 1)
        let (first, firstHash) = chunk(100, seed: 80)
        let (second, secondHash) = chunk(100, seed: 81)
        try store.put(first, hash: firstHash, named: name)
        // The same chunk under the same name again is fine.
        try store.put(first, hash: firstHash, named: name)

        let error = #expect(throws: StoreError.self) { try store.put(second, hash: secondHash, named: name) }
        guard case .nameConflict(name, let existing) = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(existing == firstHash)
        #expect(!store.contains(secondHash))
        #expect(store.chunk(named: name) == firstHash)
    }

    @Test func anExistingChunkCanBeGivenAName() throws {
        let dir = TemporaryDirectory()
        let store = try ChunkStore(directory: dir.storePath)
        let (payload, hash) = chunk(100, seed: 82)
        try store.put(payload, hash: hash)
        let name = ChunkName(bucket: bucket, name: object, version: 2)
        #expect(try store.put(payload, hash: hash, named: name) == false)
        #expect(store.chunk(named: name) == hash)
        #expect(store.chunk(hash)?.names == [name])
    }
}
