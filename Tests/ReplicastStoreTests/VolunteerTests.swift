import ReplicastCore
import ReplicastStore
import ReplicastWire
import Testing

@Suite struct VolunteerTests {
    @Test func evictionRemovesVolunteersAndKeepsDesignated() throws {
        let dir = TemporaryDirectory()
        let (designated, designatedHash) = chunk(1000, seed: 90)
        let volunteers = (0..<3).map { chunk(500, seed: 91 + UInt64($0)) }
        do {
            let store = try ChunkStore(directory: dir.storePath)
            try store.put(designated, hash: designatedHash)
            for (payload, hash) in volunteers { try store.put(payload, hash: hash, as: .volunteer) }
            #expect(store.usedBytes == 2500)
            // Use the first volunteer so it becomes the most recently used.
            _ = try store.get(volunteers[0].1)

            let some = try store.evictVolunteers(toFree: 600)
            #expect(some.hashes == [volunteers[1].1, volunteers[2].1])
            #expect(some.freedBytes == 1000)
            #expect(store.contains(volunteers[0].1))

            let rest = try store.evictVolunteers(toFree: .max)
            #expect(rest.hashes == [volunteers[0].1])
            #expect(store.usedBytes == 1000)
            #expect(try store.evictVolunteers(toFree: .max).hashes.isEmpty)
            #expect(try store.get(designatedHash) == designated)
        }
        let reopened = try ChunkStore(directory: dir.storePath)
        #expect(reopened.allChunks().map(\.hash) == [designatedHash])
        #expect(dir.files(in: "chunks") == [designatedHash.hex])
    }

    @Test func designatedPutPromotesAVolunteerCopy() throws {
        let dir = TemporaryDirectory()
        let (payload, hash) = chunk(300, seed: 95)
        do {
            let store = try ChunkStore(directory: dir.storePath)
            try store.put(payload, hash: hash, as: .volunteer)
            #expect(store.chunk(hash)?.role == .volunteer)
            #expect(try store.put(payload, hash: hash, as: .designated) == false)
            #expect(store.chunk(hash)?.role == .designated)
            #expect(try store.evictVolunteers(toFree: .max).hashes.isEmpty)
            // A later volunteer copy does not demote it.
            try store.put(payload, hash: hash, as: .volunteer)
            #expect(store.chunk(hash)?.role == .designated)
            #expect(store.usedBytes == 300)
        }
        let reopened = try ChunkStore(directory: dir.storePath)
        #expect(reopened.chunk(hash)?.role == .designated)
        #expect(try reopened.get(hash) == payload)
    }

    @Test func evictingANamedVolunteerDropsItsName() throws {
        let dir = TemporaryDirectory()
        let store = try ChunkStore(directory: dir.storePath)
        let name = ChunkName(bucket: .zero, name: ContentHash.ofName("m"), version: 4)
        let (payload, hash) = chunk(100, seed: 96)
        try store.put(payload, hash: hash, named: name, as: .volunteer)
        try store.evictVolunteers(toFree: 1)
        #expect(store.chunk(named: name) == nil)
        #expect(dir.files(in: "names").isEmpty)
    }
}
