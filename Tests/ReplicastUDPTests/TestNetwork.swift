import ReplicastTransport
import ReplicastUDP
import ReplicastWire
import Synchronization
import Testing

/// A multicast port and a block of group addresses for one test. Tests run in parallel, so
/// each gets its own; a random base keeps concurrent test processes apart too. Ports stay
/// below the ephemeral range (32768...).
struct TestNetwork {
    private static let basePort = UInt16.random(in: 20000...28000)
    private static let groupOctet = UInt8.random(in: 0...255)
    private static let counter = Atomic<UInt16>(0)

    /// The cluster's multicast port for this test.
    let multicastPort: UInt16
    private let index: UInt16

    init() {
        index = Self.counter.add(1, ordering: .relaxed).newValue
        multicastPort = Self.basePort + index * 2
    }

    /// Group `i` of this test: 239.255.<random>.<index * 8 + i>.
    func group(_ i: UInt8) -> GroupAddress {
        GroupAddress(ipv4: 239, 255, Self.groupOctet, UInt8(truncatingIfNeeded: Int(index) * 8) &+ i, port: multicastPort)
    }

    /// A transport on loopback in this test's cluster.
    func transport(
        maxDatagramSize: Int = 8972, sendBatchSize: Int = 64, _ adjust: (inout UDPTransport.Configuration) -> Void = { _ in }
    ) throws -> UDPTransport {
        var configuration = UDPTransport.Configuration(multicastPort: multicastPort)
        configuration.maxDatagramSize = maxDatagramSize
        configuration.sendBatchSize = sendBatchSize
        adjust(&configuration)
        return try UDPTransport(configuration)
    }
}

/// A received datagram, copied out of the receive slab.
struct Received: Equatable {
    var bytes: [UInt8]
    var source: Endpoint
}

extension UDPTransport {
    /// Receives until `count` datagrams arrived or `limit` passed; returns what arrived.
    func receive(count: Int, within limit: Duration = .seconds(3)) throws -> [Received] {
        var received: [Received] = []
        let deadline = ContinuousClock.now + limit
        while received.count < count, ContinuousClock.now < deadline {
            _ = try receive(timeout: .milliseconds(50)) { received.append(Received(bytes: Array($0.bytes), source: $0.source)) }
        }
        return received
    }

    /// Everything that arrives within `period` (for checking that nothing does).
    func receiveAll(during period: Duration = .milliseconds(300)) throws -> [Received] {
        try receive(count: Int.max, within: period)
    }

    /// Sends one datagram made of `head` and `body`.
    func send(_ head: [UInt8], body: Payload = .empty, to destination: Destination) throws {
        var batch = SendBatch(maxDatagrams: 1, headCapacity: max(head.count, 1))
        batch.append(to: destination, headLength: head.count, body: body) { $0.copyBytes(from: head) }
        try send(&batch)
    }
}
