import ReplicastTransport
import ReplicastUDP
import ReplicastWire
import Testing

@Suite struct BatchTests {
    /// Head of datagram `i`: its index and a marker.
    static func head(_ i: Int) -> [UInt8] { [UInt8(i >> 8), UInt8(i & 0xFF), 0xC0, 0xDE] }

    @Test(arguments: [64, 256], [false, true])
    func twoHundredDatagramsArriveIntactInFewCalls(sendBatchSize: Int, segmentation: Bool) throws {
        let network = TestNetwork()
        let sender = try network.transport(sendBatchSize: sendBatchSize) { $0.segmentationOffload = segmentation }
        let receiver = try network.transport()
        defer { sender.close(); receiver.close() }

        let count = 200
        let bodySize = 1000
        let buffer = try sender.allocate(count: count * bodySize)
        for i in 0..<buffer.count { buffer.mutableBytes[i] = UInt8(truncatingIfNeeded: i &* 7 &+ i >> 10) }
        var batch = SendBatch(maxDatagrams: count, headCapacity: count * 4)
        for i in 0..<count {
            let body = Payload(buffer: buffer, range: (i * bodySize)..<((i + 1) * bodySize))
            #expect(batch.append(to: .endpoint(receiver.localEndpoint), headLength: 4, body: body) {
                $0.copyBytes(from: Self.head(i))
            })
        }
        try sender.send(&batch)
        let emptied = batch.isEmpty
        #expect(emptied)

        let calls = (count + sendBatchSize - 1) / sendBatchSize
        #expect(sender.counters.sendCalls == UInt64(calls))
        #expect(sender.counters.datagramsSent == UInt64(count))
        #expect(sender.counters.bytesSent == UInt64(count * (4 + bodySize)))
        #expect(sender.counters.sendErrors == 0)

        let received = try receiver.receive(count: count)
        #expect(received.count == count)
        for (i, datagram) in received.enumerated() {
            let expected = Self.head(i) + Array(buffer.mutableBytes[(i * bodySize)..<((i + 1) * bodySize)])
            #expect(datagram.bytes == expected, "datagram \(i)")
            #expect(datagram.source == sender.localEndpoint)
        }
        // recvmmsg takes up to 64 at a time.
        #expect(receiver.counters.receiveCalls <= UInt64(count / 64 + 2))
    }

    @Test(arguments: [1472, 8972])
    func datagramsOfTheMaximumSizeArriveAndLargerOnesAreRefused(maxDatagramSize: Int) throws {
        let network = TestNetwork()
        let group = network.group(1)
        let sender = try network.transport(maxDatagramSize: maxDatagramSize)
        let receiver = try network.transport(maxDatagramSize: maxDatagramSize)
        defer { sender.close(); receiver.close() }
        #expect(sender.maxDatagramSize == maxDatagramSize)
        try receiver.join(group)

        let body = Payload(copying: (0..<(maxDatagramSize - 2)).map { UInt8(truncatingIfNeeded: $0 * 31) })
        try sender.send([0xA, 0xB], body: body, to: .endpoint(receiver.localEndpoint))
        try sender.send([0xC, 0xD], body: body, to: .group(group))
        let received = try receiver.receive(count: 2)
        #expect(received.map(\.bytes) == [[0xA, 0xB] + body.bytes, [0xC, 0xD] + body.bytes])
        #expect(receiver.counters.truncatedReceives == 0)

        #expect(throws: TransportError.self) {
            try sender.send([0xE, 0xF, 0], body: body, to: .endpoint(receiver.localEndpoint))
        }
        #expect(sender.counters.datagramsSent == 2)
    }
}
