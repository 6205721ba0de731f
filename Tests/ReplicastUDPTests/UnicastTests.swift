import ReplicastTransport
import ReplicastUDP
import ReplicastWire
import Testing

@Suite struct UnicastTests {
    @Test func aChunkBufferReleasedIsReusedByTheNextAllocation() throws {
        let transport = try TestNetwork().transport()
        defer { transport.close() }
        var first: PayloadBuffer? = try transport.allocate(count: 1 << 20)
        let address = first!.base
        first = nil
        let second = try transport.allocate(count: 1 << 20)
        #expect(second.base == address)
        #expect(second.count == 1 << 20)
        #expect(throws: TransportError.self) { _ = try transport.allocate(count: -1) }
    }

    @Test func roundTripToLocalEndpointAndBackToSource() throws {
        let network = TestNetwork()
        let a = try network.transport()
        let b = try network.transport()
        defer { a.close(); b.close() }
        #expect(a.localEndpoint.ipv4 == 0x7F00_0001)
        #expect(a.localEndpoint.selector != 0)
        #expect(a.localEndpoint != b.localEndpoint)

        try a.send([1, 2, 3], body: Payload(copying: [4, 5, 6, 7]), to: .endpoint(b.localEndpoint))
        let request = try b.receive(count: 1)
        #expect(request == [Received(bytes: [1, 2, 3, 4, 5, 6, 7], source: a.localEndpoint)])

        try b.send(Array("pong".utf8), to: .endpoint(request[0].source))
        let reply = try a.receive(count: 1)
        #expect(reply == [Received(bytes: Array("pong".utf8), source: b.localEndpoint)])

        #expect(a.counters.datagramsSent == 1)
        #expect(a.counters.bytesSent == 7)
        #expect(a.counters.multicastDatagramsSent == 0)
        #expect(a.counters.datagramsReceived == 1)
        #expect(b.counters.bytesReceived == 7)
    }

    @Test func nonBlockingReceiveReturnsZeroWhenNothingArrived() throws {
        let transport = try TestNetwork().transport()
        defer { transport.close() }
        var handled = 0
        #expect(try transport.receive(timeout: .zero) { _ in handled += 1 } == 0)
        #expect(handled == 0)
    }

    @Test func fixedUnicastPortIsUsed() throws {
        let network = TestNetwork()
        let port = network.multicastPort + 1
        let transport = try network.transport { $0.unicastPort = port }
        defer { transport.close() }
        #expect(transport.localEndpoint == Endpoint(ipv4: 0x7F00_0001, port: port))
    }
}
