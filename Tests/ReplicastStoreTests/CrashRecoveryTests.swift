import Foundation
import ReplicastCore
@testable import ReplicastStore
import ReplicastWire
import Testing

/// What a writer killed at various points leaves behind, and what the next store makes of it.
@Suite struct CrashRecoveryTests {
    /// A writer killed after writing (part of) its temporary file but before the rename.
    @Test func crashBetweenWriteAndRenameLeavesNoVisibleChunk() throws {
        let dir = TemporaryDirectory()
        let (payload, hash) = chunk(8192, seed: 20)
        let (kept, keptHash) = chunk(100, seed: 21)
        do {
            let store = try ChunkStore(directory: dir.storePath)
            try store.put(kept, hash: keptHash)
        }
        // The killed writer's file: the store's temporary name, half the bytes.
        let temporary = StoreLayout.temporaryFile(hash, sequence: 1)
        #expect(FileManager.default.createFile(
            atPath: dir.storeFile("chunks/" + temporary), contents: Data(payload.bytes.prefix(4096))))
        #expect(dir.files(in: "chunks").contains(temporary))

        let store = try ChunkStore(directory: dir.storePath)
        #expect(store.discardedTemporaryFiles == 1)
        #expect(!store.contains(hash))
        #expect(store.allChunks().map(\.hash) == [keptHash])
        #expect(store.usedBytes == 100)
        #expect(dir.files(in: "chunks") == [keptHash.hex])
        // The client retries; the chunk is stored whole.
        try store.put(payload, hash: hash)
        #expect(try store.get(hash) == payload)
    }

    @Test func leftoverTemporaryFilesAreRemovedOnOpen() throws {
        let dir = TemporaryDirectory()
        _ = try ChunkStore(directory: dir.storePath)
        let leftovers = (1...3).map { StoreLayout.temporaryFile(chunk(10, seed: UInt64(30 + $0)).1, sequence: UInt64($0)) }
        for name in leftovers {
            #expect(FileManager.default.createFile(atPath: dir.storeFile("chunks/" + name), contents: Data([1, 2, 3])))
        }
        // An empty temporary file (killed right after create) too.
        #expect(FileManager.default.createFile(atPath: dir.storeFile("chunks/" + StoreLayout.temporaryFile(.zero, sequence: 9)), contents: nil))

        let store = try ChunkStore(directory: dir.storePath)
        #expect(store.discardedTemporaryFiles == 4)
        #expect(dir.files(in: "chunks").isEmpty)
        #expect(store.allChunks().isEmpty)
    }

    /// A removal killed after deleting the chunk but before its name record.
    @Test func nameRecordWithoutItsChunkIsDropped() throws {
        let dir = TemporaryDirectory()
        let (payload, hash) = chunk(500, seed: 40)
        let name = ChunkName(bucket: ContentHash.ofName("b"), name: ContentHash.ofName("o"), version: 3)
        do {
            let store = try ChunkStore(directory: dir.storePath)
            try store.put(payload, hash: hash, named: name)
        }
        try FileManager.default.removeItem(atPath: dir.storeFile("chunks/" + hash.hex))

        let store = try ChunkStore(directory: dir.storePath)
        #expect(!store.contains(hash))
        #expect(store.chunk(named: name) == nil)
        #expect(store.newestVersion(bucket: name.bucket, name: name.name, in: 0...UInt64.max) == nil)
        #expect(dir.files(in: "names").isEmpty)
    }

    /// A promotion (volunteer to designated) is a rename, so at most one copy can be left;
    /// if both exist anyway the designated one wins.
    @Test func duplicateVolunteerCopyOfADesignatedChunkIsDropped() throws {
        let dir = TemporaryDirectory()
        let (payload, hash) = chunk(700, seed: 41)
        do {
            let store = try ChunkStore(directory: dir.storePath)
            try store.put(payload, hash: hash)
        }
        try FileManager.default.copyItem(
            atPath: dir.storeFile("chunks/" + hash.hex),
            toPath: dir.storeFile("chunks/" + StoreLayout.chunkFile(hash, .volunteer)))

        let store = try ChunkStore(directory: dir.storePath)
        #expect(store.chunk(hash)?.role == .designated)
        #expect(store.usedBytes == 700)
        #expect(dir.files(in: "chunks") == [hash.hex])
    }

    @Test func unrelatedFilesAreLeftAlone() throws {
        let dir = TemporaryDirectory()
        _ = try ChunkStore(directory: dir.storePath)
        let upper = chunk(10, seed: 42).1.hex.uppercased()
        for name in ["README", upper, "abc.volunteer"] {
            #expect(FileManager.default.createFile(atPath: dir.storeFile("chunks/" + name), contents: Data([0])))
        }
        let store = try ChunkStore(directory: dir.storePath)
        #expect(store.allChunks().isEmpty)
        #expect(dir.files(in: "chunks").count == 3)
    }
}
