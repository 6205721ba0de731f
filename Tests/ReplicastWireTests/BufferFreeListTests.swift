import ReplicastWire
import Testing

/// The free list under both buffer pools: exact capacities, the byte budget, and close.
@Suite struct BufferFreeListTests {
    @Test func aBufferIsTakenOnlyForItsOwnCapacity() {
        let list = BufferFreeList<Int>(maxPooledBytes: 1 << 20)
        #expect(list.put(1, capacity: 4096))
        #expect(list.put(2, capacity: 8192))
        #expect(list.pooledBytes == 4096 + 8192)
        #expect(list.take(capacity: 65536) == nil)
        #expect(list.take(capacity: 8192) == 2)
        #expect(list.take(capacity: 8192) == nil)
        #expect(list.take(capacity: 4096) == 1)
        #expect(list.pooledBytes == 0)
    }

    @Test func theBudgetRefusesWhatWouldExceedIt() {
        let list = BufferFreeList<Int>(maxPooledBytes: 3 * 4096)
        #expect(list.put(1, capacity: 8192))
        #expect(!list.put(2, capacity: 8192))  // 16 KiB > 12 KiB: the caller frees it
        #expect(list.put(3, capacity: 4096))
        #expect(list.pooledBytes == 3 * 4096)
        _ = list.take(capacity: 8192)
        #expect(list.put(2, capacity: 8192))
    }

    @Test func closeHandsBackEveryBufferAndRefusesLaterOnes() {
        let list = BufferFreeList<Int>(maxPooledBytes: 1 << 20)
        for i in 0..<5 { #expect(list.put(i, capacity: 4096 * (1 + i % 2))) }
        #expect(list.close().sorted() == [0, 1, 2, 3, 4])
        #expect(list.pooledBytes == 0)
        #expect(!list.put(9, capacity: 4096))
        #expect(list.take(capacity: 4096) == nil)
    }
}
