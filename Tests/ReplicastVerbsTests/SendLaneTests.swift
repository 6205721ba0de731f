import Foundation
import ReplicastTransport
@testable import ReplicastVerbs
import ReplicastWire
import Testing

/// A transport with send lanes on a real verbs device (the soft-RoCE VM): a large batch is
/// spread over its queue pairs and arrives whole, a small one stays on the transport's own,
/// sends go on while lanes post, and replies to a lane's queue pair number come back through
/// the shared receive queue.
@Suite(
    .serialized,
    .enabled(if: VerbsTestEnvironment.shouldRun, "no verbs device (Deploy/softroce.sh runs these in a VM)")
)
final class SendLaneTests {
    let group = GroupAddress(ipv4: 239, 1, 2, 9, port: 0)

    @Test func aLargeBatchIsSpreadOverTheLanesAndRepliesToEveryLaneArrive() throws {
        let sender = try SoftRoCETests.makeTransport(sendLanes: 3)
        let member = try SoftRoCETests.makeTransport(sendLanes: 1)
        defer { sender.close(); member.close() }
        #expect(sender.lanes.count == 2 && sender.srq != nil)
        #expect(member.lanes.isEmpty && member.srq == nil)
        try member.join(group)

        // Registered MTU-sized bodies, copied bodies and small (inline) datagrams, in one batch.
        let bodySize = sender.maxDatagramSize - TestDatagram.headSize
        let registered = 120, bounced = 24, small = 24
        let slab = try sender.allocate(count: registered * bodySize)
        var batch = SendBatch(maxDatagrams: 256, headCapacity: 4096)
        var sequence: UInt32 = 0
        for i in 0..<registered {
            TestDatagram.appendInPlace(&batch, to: group, buffer: slab, range: (i * bodySize)..<((i + 1) * bodySize), sequence: &sequence)
        }
        for size in Array(repeating: bodySize, count: bounced) + Array(repeating: 24, count: small) {
            TestDatagram.appendFresh(&batch, to: group, size: size, sequence: &sequence)
        }
        let total = Int(sequence)
        try sender.send(&batch)
        #expect(sender.counters.multicastDatagramsSent == UInt64(total))
        #expect(sender.counters.sendErrors == 0)

        let got = try SoftRoCETests.collect(member, kind: .multicast, count: total)
        let sources = Set(got.good.map(\.source))
        print("verbs send lanes: \(total) datagrams in one batch over 3 lanes; member received \(got.good.count) "
            + "from \(sources.count) queue pairs \(sources.map(\.selector).sorted())")
        #expect(got.corrupt == 0)
        #expect(Set(got.good.map(\.sequence)) == Set(0..<sequence))
        #expect(sources.count == 3)
        #expect(sources.contains(sender.localEndpoint))
        #expect(sources.allSatisfy { $0.address == sender.localEndpoint.address })

        // A reply to each source, the lanes' included, reaches the sender.
        var replies = SendBatch(maxDatagrams: 8, headCapacity: 1024)
        for (n, source) in sources.enumerated() {
            let body = PayloadBuffer(count: 200)
            TestDatagram.fillBody(body.mutableBytes, sequence: 5000 + UInt32(n))
            TestDatagram.append(&replies, to: .endpoint(source), kind: .reply, sequence: 5000 + UInt32(n), body: Payload(body))
        }
        try member.send(&replies)
        let back = try SoftRoCETests.collect(sender, kind: .reply, count: sources.count)
        #expect(back.corrupt == 0)
        #expect(Set(back.good.map(\.sequence)) == Set((0..<sources.count).map { 5000 + UInt32($0) }))
    }

    @Test func aSmallBatchStaysOnTheTransportsOwnQueuePair() throws {
        let sender = try SoftRoCETests.makeTransport(sendLanes: 2)
        let member = try SoftRoCETests.makeTransport(sendLanes: 1)
        defer { sender.close(); member.close() }
        try member.join(group)
        var batch = SendBatch(maxDatagrams: 16, headCapacity: 4096)
        let count = 2 * VerbsTransport.minimumLaneShare - 1
        for s in 0..<UInt32(count) {
            let body = PayloadBuffer(count: 300)
            TestDatagram.fillBody(body.mutableBytes, sequence: s)
            TestDatagram.append(&batch, to: .group(group), kind: .multicast, sequence: s, body: Payload(body))
        }
        try sender.send(&batch)
        let got = try SoftRoCETests.collect(member, kind: .multicast, count: count)
        #expect(got.good.count == count)
        #expect(got.good.allSatisfy { $0.source == sender.localEndpoint })
    }

    @Test func backToBackSendsGoOnWhileTheLanesPostAndReusingTheBatchCorruptsNothing() throws {
        let sender = try SoftRoCETests.makeTransport(sendLanes: 2)
        var memberConfiguration = VerbsConfiguration()
        memberConfiguration.receiveDepth = 1024
        let member = try VerbsTransport(configuration: memberConfiguration)
        defer { sender.close(); member.close() }
        try member.join(group)
        let bodySize = sender.maxDatagramSize - TestDatagram.headSize
        let rounds = 8, registered = 32, small = 16
        let slab = try sender.allocate(count: rounds * registered * bodySize)
        // One batch, reused at once after each send: a lane still posting the previous part
        // must not read it (the small datagrams go inline, the heads from the send slab).
        var batch = SendBatch(maxDatagrams: 64, headCapacity: 8192)
        var sequence: UInt32 = 0
        for r in 0..<rounds {
            for i in 0..<registered {
                let at = (r * registered + i) * bodySize
                TestDatagram.appendInPlace(&batch, to: group, buffer: slab, range: at..<(at + bodySize), sequence: &sequence)
            }
            for _ in 0..<small { TestDatagram.appendFresh(&batch, to: group, size: 24, sequence: &sequence) }
            try sender.send(&batch)
        }
        #expect(sender.counters.datagramsSent == UInt64(sequence))  // counted when handed over
        try sender.flush()
        #expect(sender.counters.datagramsSent == UInt64(sequence))
        #expect(sender.counters.sendErrors == 0)

        let got = try SoftRoCETests.collect(member, kind: .multicast, count: Int(sequence))
        let sources = Set(got.good.map(\.source))
        print("verbs send lanes: \(rounds) back-to-back batches of \(registered + small), member received "
            + "\(got.good.count) of \(sequence) from \(sources.count) queue pairs, \(got.corrupt) corrupt")
        #expect(got.corrupt == 0)
        #expect(Set(got.good.map(\.sequence)) == Set(0..<sequence))
        #expect(sources.count == 2)
    }

    @Test func closingWithLanesAfterManySendsLeavesNothingBehind() throws {
        let sender = try SoftRoCETests.makeTransport(sendLanes: 2)
        let member = try SoftRoCETests.makeTransport(sendLanes: 1)
        defer { member.close() }
        try member.join(group)
        let bodySize = sender.maxDatagramSize - TestDatagram.headSize
        let slab = try sender.allocate(count: 64 * bodySize)
        // More datagrams than the send queues hold: the lanes' slots must be reaped and reused.
        let rounds = 8
        for r in 0..<rounds {
            var batch = SendBatch(maxDatagrams: 64, headCapacity: 4096)
            for i in 0..<64 {
                let range = (i * bodySize)..<((i + 1) * bodySize)
                let s = UInt32(r * 64 + i)
                TestDatagram.fillBody(UnsafeMutableRawBufferPointer(rebasing: slab.mutableBytes[range]), sequence: s)
                TestDatagram.append(&batch, to: .group(group), kind: .multicast, sequence: s, body: Payload(buffer: slab, range: range))
            }
            try sender.send(&batch)
            let got = try SoftRoCETests.collect(member, kind: .multicast, count: 64)
            #expect(got.corrupt == 0 && got.good.count == 64)
        }
        #expect(sender.counters.datagramsSent == UInt64(rounds * 64))
        #expect(sender.counters.sendErrors == 0)
        sender.close()
        #expect(throws: TransportError.self) { try sender.join(self.group) }
    }
}
