import ReplicastTransport
import ReplicastWire

/// A test transport that wraps a real one and forwards every call it does not change.
protocol ForwardingTransport: DatagramTransport {
    var inner: any DatagramTransport { get }
}

extension ForwardingTransport {
    var maxDatagramSize: Int { inner.maxDatagramSize }
    var localEndpoint: Endpoint { inner.localEndpoint }
    var counters: TransportCounters { inner.counters }
    func join(_ group: GroupAddress) throws(TransportError) { try inner.join(group) }
    func leave(_ group: GroupAddress) throws(TransportError) { try inner.leave(group) }
    func allocate(count: Int) throws(TransportError) -> PayloadBuffer { try inner.allocate(count: count) }
    func wake() { inner.wake() }
    func close() { inner.close() }
}
