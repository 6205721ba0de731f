import Foundation
import Synchronization
import ReplicastTransport
@testable import ReplicastVerbs
import ReplicastWire
import Testing

/// End-to-end behaviour of `VerbsTransport` on a real verbs device: inside the soft-RoCE
/// VM, several transports on rxe0, each with its own rdma_cm id and UD queue pair (as the
/// separate processes of librdmacm's mckey).
@Suite(
    .serialized,
    .enabled(if: VerbsTestEnvironment.shouldRun, "no verbs device (Deploy/softroce.sh runs these in a VM)")
)
final class SoftRoCETests {
    let group = GroupAddress(ipv4: 239, 1, 2, 3, port: 0)

    static func makeTransport(sendLanes: Int = 1) throws -> VerbsTransport {
        var configuration = VerbsConfiguration()
        configuration.receiveDepth = 256
        configuration.sendDepth = 128
        configuration.sendLanes = sendLanes
        return try VerbsTransport(configuration: configuration)
    }

    /// Receives until `count` datagrams of `kind` arrived or `patience` passed since the last one.
    static func collect(
        _ transport: VerbsTransport, kind: TestDatagram.Kind, count: Int, patience: Duration = .seconds(3)
    ) throws -> (good: [TestDatagram.Checked], corrupt: Int) {
        var good: [TestDatagram.Checked] = []
        var corrupt = 0
        var deadline = ContinuousClock.now + patience
        while good.count < count, ContinuousClock.now < deadline {
            let n = try transport.receive(timeout: .milliseconds(50)) { datagram in
                guard let checked = TestDatagram.check(datagram) else { corrupt += 1; return }
                if checked.kind == kind { good.append(checked) }
            }
            if n > 0 { deadline = ContinuousClock.now + patience }
        }
        return (good, corrupt)
    }

    @Test func theDeviceIsThere() throws {
        #expect(VerbsTestEnvironment.hasDevice, "REPLICAST_SOFTROCE=1 but no verbs device")
        let transport = try Self.makeTransport()
        defer { transport.close() }
        print("verbs: \(transport.deviceName) port \(transport.portNumber) gid[\(transport.gidIndex)] \(transport.localGID) "
            + "path MTU \(transport.pathMTU) inline \(transport.maxInlineData) endpoint \(transport.localEndpoint)")
        #expect(transport.maxDatagramSize == transport.pathMTU)
        #expect(transport.maxDatagramSize >= 1024)
        #expect(transport.localEndpoint.selector != 0)
    }

    @Test func multicastReachesEveryMemberIntactAndNoNonMember() throws {
        let sender = try Self.makeTransport()
        let member = try Self.makeTransport()
        let outsider = try Self.makeTransport()
        defer { sender.close(); member.close(); outsider.close() }
        try sender.join(group)
        try member.join(group)
        // The joins completed through the rdma_cm event thread, with what the event carried.
        for joined in [sender, member] {
            let ip = try #require(group.ipv4)
            #expect(joined.groups[ip]?.qkey == VerbsTransport.udpQKey)
            #expect(joined.groups[ip]?.qpn == VerbsTransport.multicastQPN)
            #expect(!joined.controlEvents.hasFailures)
        }

        // Three kinds of datagram: MTU-sized with a registered body (second SGE), MTU-sized
        // with an unregistered body (bounce copy), and small ones (inline where allowed).
        let mtu = sender.maxDatagramSize
        let bodySize = mtu - TestDatagram.headSize
        let registered = 48, bounced = 16, small = 16
        let slab = try sender.allocate(count: registered * bodySize)
        var batch = SendBatch(maxDatagrams: 128, headCapacity: 4096)
        var sequence: UInt32 = 0
        for i in 0..<registered {
            TestDatagram.appendInPlace(&batch, to: group, buffer: slab, range: (i * bodySize)..<((i + 1) * bodySize), sequence: &sequence)
        }
        for _ in 0..<bounced { TestDatagram.appendFresh(&batch, to: group, size: bodySize, sequence: &sequence) }
        for _ in 0..<small { TestDatagram.appendFresh(&batch, to: group, size: 24, sequence: &sequence) }
        let total = Int(sequence)
        try sender.send(&batch)
        let emptied = batch.isEmpty
        #expect(emptied)

        let atMember = try Self.collect(member, kind: .multicast, count: total)
        let atOutsider = try Self.collect(outsider, kind: .multicast, count: 1, patience: .milliseconds(500))
        let atSender = try Self.collect(sender, kind: .multicast, count: total, patience: .milliseconds(500))
        print("verbs multicast: sent \(total) (\(registered) of \(mtu) B registered, \(bounced) of \(mtu) B copied, "
            + "\(small) small); member received \(atMember.good.count), outsider \(atOutsider.good.count), "
            + "sender's own loopback \(atSender.good.count)")

        #expect(atMember.corrupt == 0)
        #expect(atMember.good.count == total)
        #expect(Set(atMember.good.map(\.sequence)) == Set(0..<sequence))
        #expect(atMember.good.filter { $0.size == mtu }.count == registered + bounced)
        #expect(atMember.good.allSatisfy { $0.source == sender.localEndpoint })
        #expect(atOutsider.good.isEmpty && atOutsider.corrupt == 0)
        #expect(sender.counters.multicastDatagramsSent == UInt64(total))
        #expect(member.counters.datagramsReceived >= UInt64(total))
    }

    @Test func threeMembersEachReceiveEveryDatagram() throws {
        let members = try (0..<3).map { _ in try Self.makeTransport() }
        defer { members.forEach { $0.close() } }
        for m in members { try m.join(group) }
        let count = 32
        let bodySize = 100
        let slab = try members[0].allocate(count: count * bodySize)
        var batch = SendBatch(maxDatagrams: count)
        for s in 0..<UInt32(count) {
            let range = (Int(s) * bodySize)..<(Int(s + 1) * bodySize)
            TestDatagram.fillBody(UnsafeMutableRawBufferPointer(rebasing: slab.mutableBytes[range]), sequence: s)
            TestDatagram.append(&batch, to: .group(group), kind: .multicast, sequence: s, body: Payload(buffer: slab, range: range))
        }
        try members[0].send(&batch)
        var counts: [Int] = []
        for m in members[1...] {
            let got = try Self.collect(m, kind: .multicast, count: count)
            #expect(got.corrupt == 0)
            #expect(Set(got.good.map(\.sequence)) == Set(0..<UInt32(count)))
            counts.append(got.good.count)
        }
        print("verbs multicast to 3 members: sent \(count), received \(counts) at the two others")
    }

    @Test func allocatedBuffersAreRegisteredOnceAndReusedOnceReleased() throws {
        let sender = try Self.makeTransport()
        let member = try Self.makeTransport()
        defer { sender.close(); member.close() }
        try member.join(group)
        let pool = try #require(sender.bufferPool)
        let bodySize = sender.maxDatagramSize - TestDatagram.headSize
        let count = 16

        /// Sends `count` datagrams whose bodies lie in `buffer`; the member must get them intact.
        func sendFrom(_ buffer: PayloadBuffer, firstSequence: UInt32) throws {
            var batch = SendBatch(maxDatagrams: count)
            var sequence = firstSequence
            for i in 0..<count {
                TestDatagram.appendInPlace(&batch, to: group, buffer: buffer, range: (i * bodySize)..<((i + 1) * bodySize), sequence: &sequence)
            }
            try sender.send(&batch)
            let got = try Self.collect(member, kind: .multicast, count: count)
            #expect(got.corrupt == 0)
            #expect(Set(got.good.map(\.sequence)) == Set(firstSequence..<sequence))
        }

        var first: PayloadBuffer? = try sender.allocate(count: count * bodySize)
        let address = first!.base
        #expect(pool.registrations == 1)
        try sendFrom(first!, firstSequence: 0)
        try sender.flush()  // the send ring lets go of the bodies it sent
        first = nil
        #expect(pool.pooledBytes == RegisteredBufferPool.capacity(for: count * bodySize))

        // A little longer, same capacity class: the same registered memory, no new region.
        let second = try sender.allocate(count: count * bodySize + 60)
        #expect(second.base == address)
        #expect(pool.registrations == 1)
        #expect(pool.pooledBytes == 0)
        try sendFrom(second, firstSequence: 100)
        // One held while another is asked for: a region of its own.
        let third = try sender.allocate(count: count * bodySize)
        #expect(third.base != address)
        #expect(pool.registrations == 2)
        print("verbs buffer pool: 3 allocations of \(count * bodySize) bytes, \(pool.registrations) memory regions registered; "
            + "the second reused the first's once released")

        // Another transport's buffer is registered in another protection domain: this one
        // copies its bytes rather than use a key that is not its own.
        let other = try Self.makeTransport()
        defer { other.close() }
        let foreign = try other.allocate(count: count * bodySize)
        #expect(foreign.registration != nil && pool.lkey(of: foreign) == nil)
        #expect(pool.lkey(of: third) == third.registration?.key)
        try sendFrom(foreign, firstSequence: 200)

        // Closing deregisters the free regions; a buffer still held stays valid until released.
        try sender.flush()
        sender.close()
        #expect(pool.pooledBytes == 0)
        TestDatagram.fillBody(third.mutableBytes, sequence: 1)
        #expect(third.mutableBytes[0] == TestDatagram.bodyByte(1, 0))
    }

    @Test func unicastReplyReachesTheSenderOfAReceivedDatagram() throws {
        let sender = try Self.makeTransport()
        let member = try Self.makeTransport()
        defer { sender.close(); member.close() }
        try sender.join(group)
        try member.join(group)

        var batch = SendBatch(maxDatagrams: 8)
        TestDatagram.append(&batch, to: .group(group), kind: .multicast, sequence: 7, body: .empty)
        try sender.send(&batch)
        let got = try Self.collect(member, kind: .multicast, count: 1)
        let first = try #require(got.good.first)
        #expect(first.source == sender.localEndpoint)

        let replyBody = try member.allocate(count: member.maxDatagramSize - TestDatagram.headSize)
        TestDatagram.fillBody(replyBody.mutableBytes, sequence: 1000)
        TestDatagram.append(&batch, to: .endpoint(first.source), kind: .reply, sequence: 1000, body: Payload(replyBody))
        try member.send(&batch)

        let replies = try Self.collect(sender, kind: .reply, count: 1)
        print("verbs unicast: reply from \(member.localEndpoint) to \(first.source): received \(replies.good.count)")
        #expect(replies.corrupt == 0)
        #expect(replies.good.map(\.sequence) == [1000])
        #expect(replies.good.first?.source == member.localEndpoint)
        #expect(replies.good.first?.size == member.maxDatagramSize)
    }

    @Test func leavingAGroupStopsDelivery() throws {
        let sender = try Self.makeTransport()
        let member = try Self.makeTransport()
        defer { sender.close(); member.close() }
        try sender.join(group)
        try member.join(group)

        var batch = SendBatch(maxDatagrams: 8)
        for s in 0..<UInt32(4) {
            TestDatagram.append(&batch, to: .group(group), kind: .multicast, sequence: s, body: .empty)
        }
        try sender.send(&batch)
        let before = try Self.collect(member, kind: .multicast, count: 4)
        #expect(before.good.count == 4)

        try member.leave(group)
        try member.leave(group)  // leaving a group not joined is not an error
        for s in 4..<UInt32(8) {
            TestDatagram.append(&batch, to: .group(group), kind: .multicast, sequence: s, body: .empty)
        }
        try sender.send(&batch)
        let after = try Self.collect(member, kind: .multicast, count: 1, patience: .milliseconds(700))
        print("verbs leave: member received \(before.good.count) before leaving, \(after.good.count) after")
        #expect(after.good.isEmpty)
    }

    @Test func joinAndLeaveComplete() throws {
        let transport = try Self.makeTransport()
        defer { transport.close() }
        let clock = ContinuousClock()
        var joins: [Duration] = []
        var leaves: [Duration] = []
        for i in 0..<UInt8(8) {
            let g = GroupAddress(ipv4: 239, 1, 3, i, port: 0)
            joins.append(try clock.measure { try transport.join(g) })
            leaves.append(try clock.measure { try transport.leave(g) })
        }
        joins.sort()
        leaves.sort()
        print("verbs join (rdma_join_multicast to RDMA_CM_EVENT_MULTICAST_JOIN): median \(joins[4]), max \(joins[7]); "
            + "leave: median \(leaves[4]), max \(leaves[7])")
        #expect(joins[7] < .seconds(2))
        #expect(leaves[7] < .seconds(2))
    }

    @Test func wakeInterruptsABlockedReceive() throws {
        let transport = try Self.makeTransport()
        defer { transport.close() }

        transport.wake()
        var start = ContinuousClock.now
        #expect(try transport.receive(timeout: nil) { _ in } == 0)
        #expect(ContinuousClock.now - start < .seconds(2))

        start = ContinuousClock.now
        let waker = Thread {
            Thread.sleep(forTimeInterval: 0.3)
            transport.wake()
        }
        waker.start()
        let n = try transport.receive(timeout: .seconds(20)) { _ in }
        let waited = ContinuousClock.now - start
        print("verbs wake: blocked receive returned \(n) after \(waited)")
        #expect(n == 0)
        #expect(waited >= .milliseconds(250))
        #expect(waited < .seconds(10))
    }

    @Test func receiveTimesOutWhenIdle() throws {
        let transport = try Self.makeTransport()
        defer { transport.close() }
        let start = ContinuousClock.now
        #expect(try transport.receive(timeout: .milliseconds(200)) { _ in } == 0)
        #expect(ContinuousClock.now - start >= .milliseconds(190))
        #expect(try transport.receive(timeout: .zero) { _ in } == 0)
    }

    @Test func badRequestsAreTypedErrors() throws {
        let transport = try Self.makeTransport()
        defer { transport.close() }
        #expect(throws: TransportError.self) { try transport.join(GroupAddress(ipv4: 10, 9, 0, 1, port: 0)) }
        var batch = SendBatch(maxDatagrams: 4, headCapacity: 16 * 1024)
        batch.append(to: .group(group), headLength: transport.maxDatagramSize + 1) { $0.initializeMemory(as: UInt8.self, repeating: 0) }
        #expect(throws: TransportError.self) { try transport.send(&batch) }
        #expect(transport.counters.datagramsSent == 0)
        #expect(throws: TransportError.self) { _ = try transport.allocate(count: -1) }
        transport.close()
        #expect(throws: TransportError.self) { try transport.join(group) }
    }

    @Test func pinningTheCallingThread() throws {
        // On a thread of its own, so no test's thread stays pinned.
        let outcome = Mutex<[Bool]>([])
        let pinner = Thread {
            let pinned = (try? VerbsTransport.pinCurrentThread(toCore: 0)) != nil
            let refused = (try? VerbsTransport.pinCurrentThread(toCore: -1)) == nil
            outcome.withLock { $0 = [pinned, refused] }
        }
        pinner.start()
        let deadline = ContinuousClock.now + .seconds(10)
        while outcome.withLock({ $0.isEmpty }), ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(outcome.withLock { $0 } == [true, true])
    }
}
