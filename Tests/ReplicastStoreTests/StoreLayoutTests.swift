import ReplicastCore
@testable import ReplicastStore
import ReplicastWire
import Testing

@Suite struct StoreLayoutTests {
    @Test func nameRecordsRoundTrip() {
        let name = ChunkName(bucket: ContentHash.ofName("b"), name: ContentHash.ofName("n"), version: 0xABCD)
        let hash = ContentHash.ofName("content")
        let record = StoreLayout.nameRecord(name, hash)
        #expect(record.utf8.count <= 255)
        let parsed = StoreLayout.parseNameRecord(record)
        #expect(parsed?.0 == name)
        #expect(parsed?.1 == hash)
    }

    @Test func malformedNameRecordsAreNotRecords() {
        let good = StoreLayout.nameRecord(
            ChunkName(bucket: ContentHash.ofName("b"), name: ContentHash.ofName("n"), version: 0xAB), ContentHash.ofName("c"))
        #expect(StoreLayout.parseNameRecord(good) != nil)
        #expect(StoreLayout.parseNameRecord(good + ".tmp") == nil)
        #expect(StoreLayout.parseNameRecord(good.uppercased()) == nil)
        #expect(StoreLayout.parseNameRecord(String(good.dropLast())) == nil)
        #expect(StoreLayout.parseNameRecord("a.b.c.d") == nil)
        #expect(StoreLayout.parseNameRecord("") == nil)
    }

    @Test func chunkFilesAreClassified() {
        let hash = ContentHash.ofName("x")
        #expect(StoreLayout.classifyChunkFile(StoreLayout.chunkFile(hash, .designated)) == .chunk(hash, .designated))
        #expect(StoreLayout.classifyChunkFile(StoreLayout.chunkFile(hash, .volunteer)) == .chunk(hash, .volunteer))
        #expect(StoreLayout.classifyChunkFile(StoreLayout.temporaryFile(hash, sequence: 3)) == .temporary)
        #expect(StoreLayout.classifyChunkFile(hash.hex.uppercased()) == .unknown)
        #expect(StoreLayout.classifyChunkFile("lost+found") == .unknown)
    }
}
