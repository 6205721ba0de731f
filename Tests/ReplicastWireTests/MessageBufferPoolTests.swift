import Foundation
import ReplicastWire
import Testing

/// Reassembly buffers are reused once released, by size class, up to a bound.
@Suite struct MessageBufferPoolTests {
    @Test func aReleasedBufferIsReusedForTheNextOfItsClass() {
        let pool = MessageBufferPool()
        var first: PayloadBuffer? = pool.buffer(count: 1 << 20)
        let address = first!.base
        #expect(pool.pooledBytes == 0)
        first = nil
        #expect(pool.pooledBytes == (1 << 20))
        // A little longer (a chunk plus its metadata) rounds to the next 64 KiB class.
        let other = pool.buffer(count: (1 << 20) + 100)
        #expect(other.base != address)
        #expect(other.count == (1 << 20) + 100)
        let same = pool.buffer(count: (1 << 20) - 1000)
        #expect(same.base == address)
        #expect(same.count == (1 << 20) - 1000)
        #expect(pool.pooledBytes == 0)
    }

    @Test func smallBuffersAreNotPooledAndTheBoundIsKept() {
        let pool = MessageBufferPool(maxPooledBytes: 2 * 128 * 1024)
        _ = pool.buffer(count: MessageBufferPool.minimumPooledSize - 1)
        #expect(pool.pooledBytes == 0)
        var held = (0..<3).map { _ in pool.buffer(count: 128 * 1024) }
        held.removeAll()
        #expect(pool.pooledBytes == 2 * 128 * 1024)  // the third was freed
    }

    @Test func aBufferReleasedOnAnotherThreadReturnsToThePool() {
        let pool = MessageBufferPool()
        let box = Box(pool.buffer(count: 256 * 1024))  // its only reference
        let address = UInt(bitPattern: box.buffer!.base)
        let released = DispatchSemaphore(value: 0)
        Thread {
            box.buffer = nil
            released.signal()
        }.start()
        released.wait()
        #expect(pool.pooledBytes == 256 * 1024)
        #expect(UInt(bitPattern: pool.buffer(count: 256 * 1024).base) == address)
    }

    @Test func aReassembledMessageReusesTheMemoryOfOneAlreadyReleased() throws {
        let reassembler = Reassembler()
        func reassemble(_ sequence: UInt32) throws -> Envelope {
            let envelope = TestDatagrams.transfer(payloadLength: 200_000, sequence: sequence)
            var delivered: Envelope?
            for d in try TestDatagrams.datagrams(envelope) { delivered = try TestDatagrams.feed(reassembler, d) ?? delivered }
            let got = try #require(delivered)
            #expect(got == envelope)
            return got
        }
        func contentBase(_ e: Envelope) -> UnsafeMutableRawPointer? {
            guard case .rendezvousTransfer(let t) = e.message else { return nil }
            return t.content.buffer?.base
        }
        var first: Envelope? = try reassemble(1)
        let firstBase = try #require(contentBase(first!))
        let held = try reassemble(2)  // the first is still held: new memory
        #expect(contentBase(held) != firstBase)
        first = nil
        let third = try reassemble(3)  // the first was released: its memory again
        #expect(contentBase(third) == firstBase)
    }
}

private final class Box: @unchecked Sendable {
    var buffer: PayloadBuffer?
    init(_ buffer: PayloadBuffer) { self.buffer = buffer }
}
