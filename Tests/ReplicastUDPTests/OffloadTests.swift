import ReplicastTransport
import ReplicastUDP
import ReplicastWire
import Testing

/// UDP GSO (send) and GRO (receive): datagram boundaries must survive segmentation and
/// coalescing, whatever the destinations and sizes in the batch.
@Suite struct OffloadTests {
    /// A batch of runs to two destinations with equal and unequal sizes; returns the expected
    /// bytes per destination, in order.
    static func fill(
        _ batch: inout SendBatch, first: Destination, second: Destination, buffer: PayloadBuffer
    ) -> (first: [[UInt8]], second: [[UInt8]]) {
        var expected: ([[UInt8]], [[UInt8]]) = ([], [])
        // 70 equal datagrams to `first` (more than one GSO message), a shorter one closing
        // the run, 3 to `second`, then 5 of another size to `first`.
        let plan: [(Destination, Int)] =
            Array(repeating: (first, 1000), count: 70) + [(first, 300)] + Array(repeating: (second, 1000), count: 3)
            + Array(repeating: (first, 1400), count: 5)
        for (i, (destination, size)) in plan.enumerated() {
            let head: [UInt8] = [UInt8(i), 0x5A]
            let body = Payload(buffer: buffer, range: i..<(i + size - head.count))
            batch.append(to: destination, headLength: head.count, body: body) { $0.copyBytes(from: head) }
            let bytes = head + body.bytes
            if destination == first { expected.0.append(bytes) } else { expected.1.append(bytes) }
        }
        return expected
    }

    static func pattern(_ count: Int) -> PayloadBuffer {
        let buffer = PayloadBuffer(count: count)
        for i in 0..<count { buffer.mutableBytes[i] = UInt8(truncatingIfNeeded: i * 13 + i / 256) }
        return buffer
    }

    @Test(arguments: [false, true])
    func segmentedUnicastKeepsDatagramBoundaries(receiverCoalesces: Bool) throws {
        let network = TestNetwork()
        let sender = try network.transport(maxDatagramSize: 1472) { $0.segmentationOffload = true }
        let first = try network.transport(maxDatagramSize: 1472) { $0.receiveOffload = receiverCoalesces }
        let second = try network.transport(maxDatagramSize: 1472)
        defer { sender.close(); first.close(); second.close() }
        try #require(sender.segmentationOffloadActive, "kernel without UDP GSO")
        #expect(first.receiveOffloadActive == receiverCoalesces)

        var batch = SendBatch(maxDatagrams: 128)
        let expected = Self.fill(
            &batch, first: .endpoint(first.localEndpoint), second: .endpoint(second.localEndpoint),
            buffer: Self.pattern(4096))
        try sender.send(&batch)
        #expect(sender.counters.datagramsSent == 79)
        #expect(sender.counters.sendErrors == 0)
        #expect(sender.segmentationOffloadActive)

        #expect(try first.receive(count: expected.first.count).map(\.bytes) == expected.first)
        #expect(try second.receive(count: expected.second.count).map(\.bytes) == expected.second)
        #expect(first.counters.datagramsReceived == UInt64(expected.first.count))
    }

    @Test func segmentedMulticastReachesEveryMember() throws {
        let network = TestNetwork()
        let group = network.group(1)
        let otherGroup = network.group(2)
        let sender = try network.transport(maxDatagramSize: 1472) { $0.segmentationOffload = true }
        let members = try [false, true].map { coalesce in
            try network.transport(maxDatagramSize: 1472) { $0.receiveOffload = coalesce }
        }
        let other = try network.transport(maxDatagramSize: 1472)
        defer { (members + [sender, other]).forEach { $0.close() } }
        for member in members { try member.join(group) }
        try other.join(otherGroup)

        var batch = SendBatch(maxDatagrams: 128)
        let expected = Self.fill(&batch, first: .group(group), second: .group(otherGroup), buffer: Self.pattern(4096))
        try sender.send(&batch)
        #expect(sender.counters.multicastDatagramsSent == 79)
        for member in members {
            #expect(try member.receive(count: expected.first.count).map(\.bytes) == expected.first)
        }
        #expect(try other.receive(count: expected.second.count).map(\.bytes) == expected.second)
    }

    @Test func coalescedDatagramsLargerThanTheLimitAreDropped() throws {
        let network = TestNetwork()
        let sender = try network.transport(maxDatagramSize: 8972) { $0.segmentationOffload = true }
        let receiver = try network.transport(maxDatagramSize: 1472) { $0.receiveOffload = true }
        defer { sender.close(); receiver.close() }

        var batch = SendBatch(maxDatagrams: 8)
        let body = Payload(Self.pattern(2000))
        for _ in 0..<4 { batch.append(to: .endpoint(receiver.localEndpoint), headLength: 1, body: body) { $0[0] = 1 } }
        batch.append(to: .endpoint(receiver.localEndpoint), headLength: 1) { $0[0] = 2 }
        try sender.send(&batch)
        #expect(try receiver.receive(count: 1).map(\.bytes) == [[2]])
        #expect(receiver.counters.truncatedReceives == 4)
    }
}
