import ReplicastTransport
import ReplicastUDP
import ReplicastWire
import Testing

@Suite struct MulticastTests {
    @Test func groupReachesMembersOnlyEvenOnASharedPort() throws {
        let network = TestNetwork()
        let group = network.group(1)
        let members = try (0..<3).map { _ in try network.transport() }
        let outsider = try network.transport()
        defer { (members + [outsider]).forEach { $0.close() } }
        for member in members { try member.join(group) }

        // The outsider shares the multicast port but did not join: with IP_MULTICAST_ALL
        // on it would get the group's datagrams anyway, because its neighbours joined.
        try outsider.send([0xAB], body: Payload(copying: [1, 2, 3]), to: .group(group))
        for member in members {
            #expect(try member.receive(count: 1) == [Received(bytes: [0xAB, 1, 2, 3], source: outsider.localEndpoint)])
        }
        #expect(try outsider.receiveAll().isEmpty)
        #expect(outsider.counters.multicastDatagramsSent == 1)
        #expect(outsider.counters.multicastBytesSent == 4)
    }

    @Test func senderInTheGroupReceivesItsOwnDatagram() throws {
        let network = TestNetwork()
        let group = network.group(2)
        let member = try network.transport()
        defer { member.close() }
        try member.join(group)
        try member.send([9], to: .group(group))
        #expect(try member.receive(count: 1) == [Received(bytes: [9], source: member.localEndpoint)])
    }

    @Test func groupsAreKeptApart() throws {
        let network = TestNetwork()
        let first = try network.transport()
        let second = try network.transport()
        defer { first.close(); second.close() }
        try first.join(network.group(3))
        try second.join(network.group(4))
        try first.send([3], to: .group(network.group(3)))
        try first.send([4], to: .group(network.group(4)))
        #expect(try first.receive(count: 1).map(\.bytes) == [[3]])
        #expect(try second.receive(count: 1).map(\.bytes) == [[4]])
        #expect(try first.receiveAll().isEmpty)
        #expect(try second.receiveAll().isEmpty)
    }

    @Test func leaveStopsDelivery() throws {
        let network = TestNetwork()
        let group = network.group(5)
        let staying = try network.transport()
        let leaving = try network.transport()
        defer { staying.close(); leaving.close() }
        try staying.join(group)
        try leaving.join(group)
        try staying.send([1], to: .group(group))
        #expect(try leaving.receive(count: 1).map(\.bytes) == [[1]])
        _ = try staying.receive(count: 1)

        try leaving.leave(group)
        try leaving.leave(group)  // not joined any more: not an error
        #expect(leaving.joinedGroups.isEmpty)
        try staying.send([2], to: .group(group))
        #expect(try staying.receive(count: 1).map(\.bytes) == [[2]])
        #expect(try leaving.receiveAll().isEmpty)
    }

    @Test func joinTwiceIsHarmless() throws {
        let network = TestNetwork()
        let transport = try network.transport()
        defer { transport.close() }
        try transport.join(network.group(6))
        try transport.join(network.group(6))
        #expect(transport.joinedGroups == [network.group(6)])
    }
}
