import ReplicastTransport
import ReplicastUDP
import ReplicastWire
import Testing

@Suite struct ErrorTests {
    @Test func joinOfAGroupOnAnotherPortFails() throws {
        let network = TestNetwork()
        let transport = try network.transport()
        defer { transport.close() }
        let group = network.group(1)
        let wrongPort = GroupAddress(address: group.address, port: network.multicastPort &+ 1)
        #expect(throws: TransportError.self) { try transport.join(wrongPort) }
        #expect(transport.joinedGroups.isEmpty)
    }

    @Test func joinOfANonMulticastAddressFails() throws {
        let network = TestNetwork()
        let transport = try network.transport()
        defer { transport.close() }
        #expect(throws: TransportError.self) {
            try transport.join(GroupAddress(ipv4: 10, 0, 0, 1, port: network.multicastPort))
        }
    }

    @Test(arguments: ["0.0.0.0", "239.1.2.3", "localhost", "127.0.0"])
    func interfaceMustBeAUnicastIPv4Address(_ interface: String) throws {
        let network = TestNetwork()
        #expect(throws: TransportError.self) { try network.transport { $0.interface = interface } }
    }

    @Test func configurationValuesAreChecked() throws {
        #expect(throws: TransportError.self) { try UDPTransport(.init(multicastPort: 0)) }
        let network = TestNetwork()
        #expect(throws: TransportError.self) { try network.transport(maxDatagramSize: 0) }
        #expect(throws: TransportError.self) { try network.transport(maxDatagramSize: 70000) }
        #expect(throws: TransportError.self) { try network.transport(sendBatchSize: 0) }
    }

    @Test func bindingAPortInUseReportsErrno() throws {
        let network = TestNetwork()
        let first = try network.transport()
        defer { first.close() }
        let port = UInt16(first.localEndpoint.selector)
        let error = #expect(throws: TransportError.self) { try network.transport { $0.unicastPort = port } }
        #expect(error?.code == 98)  // EADDRINUSE
    }

    @Test func sendOfAnOversizedOrNonIPv4DatagramFailsAndSendsNothing() throws {
        let network = TestNetwork()
        let transport = try network.transport(maxDatagramSize: 1472)
        defer { transport.close() }
        var batch = SendBatch(maxDatagrams: 2)
        batch.append(to: .endpoint(transport.localEndpoint), headLength: 1) { $0[0] = 1 }
        batch.append(to: .endpoint(transport.localEndpoint), headLength: 1, body: Payload(PayloadBuffer(count: 1472))) { $0[0] = 2 }
        #expect(throws: TransportError.self) { try transport.send(&batch) }
        let emptied = batch.isEmpty
        #expect(emptied)

        let gid = Endpoint(address: (0xFE80_0000_0000_0000, 1), selector: 7)
        batch.append(to: .endpoint(gid), headLength: 1) { $0[0] = 3 }
        #expect(throws: TransportError.self) { try transport.send(&batch) }

        #expect(transport.counters.datagramsSent == 0)
        #expect(try transport.receiveAll().isEmpty)
    }

    @Test func closeIsIdempotentAndLaterCallsFail() throws {
        let network = TestNetwork()
        let transport = try network.transport()
        try transport.join(network.group(2))
        transport.close()
        transport.close()
        transport.wake()
        try transport.leave(network.group(2))
        #expect(throws: TransportError.self) { try transport.join(network.group(2)) }
        #expect(throws: TransportError.self) { try transport.receive(timeout: .zero) { _ in } }
        #expect(throws: TransportError.self) { try transport.send([1], to: .endpoint(transport.localEndpoint)) }

        // The sockets are gone: the unicast port can be bound again.
        let port = UInt16(transport.localEndpoint.selector)
        let successor = try network.transport { $0.unicastPort = port }
        successor.close()
    }
}
