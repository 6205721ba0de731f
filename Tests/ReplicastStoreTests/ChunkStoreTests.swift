import Foundation
import ReplicastCore
import ReplicastStore
import ReplicastWire
import SystemPackage
import Testing

@Suite struct ChunkStoreTests {
    @Test func putThenGetReturnsTheSameBytes() throws {
        let dir = TemporaryDirectory()
        let store = try ChunkStore(directory: dir.storePath)
        let (payload, hash) = chunk(300_000, seed: 1)

        #expect(try store.put(payload, hash: hash) == true)
        #expect(store.contains(hash))
        #expect(store.length(of: hash) == 300_000)
        #expect(store.usedBytes == 300_000)
        #expect(try store.get(hash) == payload)
        #expect(dir.files(in: "chunks") == [hash.hex])
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.storeFile("chunks/" + hash.hex))) == Data(payload.bytes))
        // Storing it again writes nothing new.
        #expect(try store.put(payload, hash: hash) == false)
        #expect(store.usedBytes == 300_000)
    }

    @Test func emptyChunkRoundTrips() throws {
        let dir = TemporaryDirectory()
        let store = try ChunkStore(directory: dir.storePath)
        let hash = ContentHash.of([UInt8]())
        try store.put(.empty, hash: hash)
        #expect(try store.get(hash).isEmpty)
        #expect(store.length(of: hash) == 0)
    }

    @Test func getReadsIntoTheCallersBuffer() throws {
        let dir = TemporaryDirectory()
        let store = try ChunkStore(directory: dir.storePath)
        let (payload, hash) = chunk(5000, seed: 2)
        try store.put(payload, hash: hash)

        let supplied = PayloadBuffer(count: 8192)
        var requested: [Int] = []
        let read = try store.get(hash, into: { length in
            requested.append(length)
            return supplied
        })
        #expect(requested == [5000])
        #expect(read.buffer === supplied)
        #expect(read.range == 0..<5000)
        #expect(read == payload)
    }

    @Test func allocatorFailuresAreTyped() throws {
        struct NoSlab: Error {}
        let dir = TemporaryDirectory()
        let store = try ChunkStore(directory: dir.storePath)
        let (payload, hash) = chunk(5000, seed: 3)
        try store.put(payload, hash: hash)

        let small = #expect(throws: StoreError.self) { try store.get(hash, into: { _ in PayloadBuffer(count: 4999) }) }
        guard case .bufferTooSmall(5000, 4999) = small else { Issue.record("got \(String(describing: small))"); return }
        let failed = #expect(throws: StoreError.self) { try store.get(hash, into: { _ in throw NoSlab() }) }
        guard case .allocationFailed(5000, let underlying) = failed else { Issue.record("got \(String(describing: failed))"); return }
        #expect(underlying is NoSlab)
        #expect(store.contains(hash))
    }

    @Test func payloadNotMatchingItsHashIsRejectedAndNothingIsWritten() throws {
        let dir = TemporaryDirectory()
        let store = try ChunkStore(directory: dir.storePath)
        let (payload, hash) = chunk(4096, seed: 4)
        let (_, otherHash) = chunk(4096, seed: 5)

        let error = #expect(throws: StoreError.self) { try store.put(payload, hash: otherHash) }
        guard case .hashMismatch(let expected, let actual) = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(expected == otherHash)
        #expect(actual == hash)
        #expect(!store.contains(otherHash))
        #expect(!store.contains(hash))
        #expect(store.usedBytes == 0)
        #expect(dir.files(in: "chunks").isEmpty)
    }

    @Test func corruptionOnDiskIsDetectedOnRead() throws {
        let dir = TemporaryDirectory()
        let store = try ChunkStore(directory: dir.storePath)
        let (payload, hash) = chunk(10_000, seed: 6)
        let (goodPayload, goodHash) = chunk(10_000, seed: 7)
        try store.put(payload, hash: hash)
        try store.put(goodPayload, hash: goodHash)

        // Flip one bit in the middle of the stored file.
        let handle = try #require(FileHandle(forUpdatingAtPath: dir.storeFile("chunks/" + hash.hex)))
        try handle.seek(toOffset: 5000)
        let byte = try #require(try handle.read(upToCount: 1)).first!
        try handle.seek(toOffset: 5000)
        try handle.write(contentsOf: [byte ^ 0x10])
        try handle.close()

        var handedOut: PayloadBuffer?
        let error = #expect(throws: StoreError.self) {
            try store.get(hash, into: { length in
                let buffer = PayloadBuffer(count: length)
                handedOut = buffer
                return buffer
            })
        }
        guard case .corrupt(let bad) = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(bad == hash)
        #expect(handedOut != nil)
        // The bad copy is dropped, the other chunk is untouched.
        #expect(!store.contains(hash))
        #expect(store.usedBytes == 10_000)
        #expect(dir.files(in: "chunks") == [goodHash.hex])
        #expect(try store.get(goodHash) == goodPayload)
    }

    @Test func truncatedFileIsCorrupt() throws {
        let dir = TemporaryDirectory()
        let (payload, hash) = chunk(10_000, seed: 8)
        do {
            let store = try ChunkStore(directory: dir.storePath)
            try store.put(payload, hash: hash)
            #expect(truncate(dir.storeFile("chunks/" + hash.hex), 9000) == 0)
            let error = #expect(throws: StoreError.self) { try store.get(hash) }
            guard case .corrupt = error else { Issue.record("got \(String(describing: error))"); return }
        }
    }

    @Test func restartSeesEveryStoredChunk() throws {
        let dir = TemporaryDirectory()
        let chunks = (0..<20).map { chunk(1000 + $0 * 37, seed: 100 + UInt64($0)) }
        let bucket = ContentHash.ofName("bucket")
        let name = ChunkName(bucket: bucket, name: ContentHash.ofName("object"), version: 42)
        do {
            let store = try ChunkStore(directory: dir.storePath)
            for (i, (payload, hash)) in chunks.enumerated() {
                try store.put(payload, hash: hash, named: i == 0 ? name : nil, as: i % 3 == 0 ? .volunteer : .designated)
            }
        }
        let reopened = try ChunkStore(directory: dir.storePath)
        #expect(reopened.discardedTemporaryFiles == 0)
        #expect(reopened.allChunks().count == 20)
        #expect(reopened.usedBytes == chunks.reduce(0) { $0 + $1.0.count })
        for (i, (payload, hash)) in chunks.enumerated() {
            let info = try #require(reopened.chunk(hash))
            #expect(info.role == (i % 3 == 0 ? .volunteer : .designated))
            #expect(info.names == (i == 0 ? [name] : []))
            #expect(try reopened.get(hash) == payload)
        }
        #expect(reopened.chunk(named: name) == chunks[0].1)
    }

    @Test func removeIsDurable() throws {
        let dir = TemporaryDirectory()
        let (payload, hash) = chunk(2000, seed: 9)
        let name = ChunkName(bucket: .zero, name: ContentHash.ofName("x"), version: 1)
        do {
            let store = try ChunkStore(directory: dir.storePath)
            try store.put(payload, hash: hash, named: name)
            try store.remove(hash)
            #expect(!store.contains(hash))
            #expect(store.chunk(named: name) == nil)
            let error = #expect(throws: StoreError.self) { try store.remove(hash) }
            guard case .notFound(hash) = error else { Issue.record("got \(String(describing: error))"); return }
            let missing = #expect(throws: StoreError.self) { try store.get(hash) }
            guard case .notFound(hash) = missing else { Issue.record("got \(String(describing: missing))"); return }
        }
        let reopened = try ChunkStore(directory: dir.storePath)
        #expect(!reopened.contains(hash))
        #expect(reopened.chunk(named: name) == nil)
        #expect(dir.files(in: "names").isEmpty)
    }

    @Test func quotaFullIsTypedAndKeepsWhatIsStored() throws {
        let dir = TemporaryDirectory()
        let store = try ChunkStore(directory: dir.storePath, quotaBytes: 1000)
        let (first, firstHash) = chunk(600, seed: 10)
        let (second, secondHash) = chunk(600, seed: 11)
        try store.put(first, hash: firstHash)
        #expect(store.freeBytes == 400)
        #expect(store.capacityBytes == 1000)

        let error = #expect(throws: StoreError.self) { try store.put(second, hash: secondHash) }
        guard case .full(let needed, let available) = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(needed == 600)
        #expect(available == 400)
        #expect(!store.contains(secondHash))
        #expect(dir.files(in: "chunks") == [firstHash.hex])
        #expect(try store.get(firstHash) == first)
        #expect(store.usedBytes == 600)
        // A chunk already held is acknowledged even when full.
        #expect(try store.put(first, hash: firstHash) == false)
        // Exactly filling the quota is allowed.
        let (fits, fitsHash) = chunk(400, seed: 12)
        try store.put(fits, hash: fitsHash)
        #expect(store.freeBytes == 0)
    }

    @Test func freeBytesNeverExceedsTheFilesystem() throws {
        let dir = TemporaryDirectory()
        let store = try ChunkStore(directory: dir.storePath)
        var info = statvfs()
        #expect(statvfs(dir.path, &info) == 0)
        let filesystem = Int(info.f_bavail) * Int(info.f_frsize)
        // Other processes write meanwhile, so allow some slack.
        #expect(store.freeBytes <= filesystem + 64 << 20)
        #expect(store.freeBytes > 0)
    }

    @Test func secondStoreOnTheSameDirectoryIsRefused() throws {
        let dir = TemporaryDirectory()
        do {
            let store = try ChunkStore(directory: dir.storePath)
            let error = #expect(throws: StoreError.self) { try ChunkStore(directory: dir.storePath) }
            guard case .locked = error else { Issue.record("got \(String(describing: error))"); return }
            #expect(store.usedBytes == 0)
        }
        // Released when the first store goes away.
        _ = try ChunkStore(directory: dir.storePath)
    }

    @Test func missingParentDirectoriesAreCreated() throws {
        let dir = TemporaryDirectory()
        let nested = FilePath(dir.path + "/a/b/c")
        let store = try ChunkStore(directory: nested)
        let (payload, hash) = chunk(100, seed: 13)
        try store.put(payload, hash: hash)
        #expect(FileManager.default.fileExists(atPath: dir.path + "/a/b/c/chunks/" + hash.hex))
    }

    @Test func aFileWhereTheDirectoryShouldBeIsAnIOError() throws {
        let dir = TemporaryDirectory()
        #expect(FileManager.default.createFile(atPath: dir.path + "/file", contents: Data([1])))
        let error = #expect(throws: StoreError.self) { try ChunkStore(directory: FilePath(dir.path + "/file")) }
        guard case .io(_, let errno) = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(errno == .notDirectory)
    }

    @Test func errorDescriptionsAreOneLine() throws {
        let errors: [StoreError] = [
            .hashMismatch(expected: .zero, actual: ContentHash.ofName("a")),
            .full(needed: 10, available: 3),
            .notFound(.zero),
            .corrupt(.zero),
            .nameConflict(ChunkName(bucket: .zero, name: .zero, version: 7), existing: .zero),
            .allocationFailed(needed: 1, underlying: StoreError.notFound(.zero)),
            .bufferTooSmall(needed: 2, provided: 1),
            .locked(path: "/x"),
            .io(operation: "fsync /x", .noSpace),
        ]
        for error in errors {
            #expect(!error.description.isEmpty)
            #expect(!error.description.contains("\n"))
        }
        #expect(StoreError.io(operation: "fsync /x", .noSpace).description == "fsync /x: No space left on device")
    }
}
