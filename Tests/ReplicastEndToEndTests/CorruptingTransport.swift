import ReplicastTransport
import ReplicastWire

/// A real transport with one fault injected: the body of the first `count` datagrams that
/// carry payload to a multicast group is sent corrupted (one byte flipped in a copy), as a
/// link error that escaped the lower layers would deliver it.
final class CorruptingTransport: ForwardingTransport {
    let inner: any DatagramTransport
    private(set) var corrupted = 0
    private let count: Int
    private var scratch = SendBatch()

    init(_ inner: any DatagramTransport, count: Int = 1) {
        self.inner = inner
        self.count = count
    }

    func receive(timeout: Duration?, _ handler: (ReceivedDatagram) -> Void) throws(TransportError) -> Int {
        try inner.receive(timeout: timeout, handler)
    }

    func send(_ batch: inout SendBatch) throws(TransportError) {
        guard corrupted < count else { return try inner.send(&batch) }
        scratch.removeAll()
        for i in 0..<batch.count {
            let e = batch.entries[i]
            var body = e.body
            if corrupted < count, case .group = e.destination, body.count > 64 {
                var bytes = body.bytes
                bytes[bytes.count / 2] ^= 0xFF
                body = Payload(copying: bytes)
                corrupted += 1
            }
            let head = batch.head(i)
            scratch.append(to: e.destination, headLength: head.count, body: body) { $0.copyMemory(from: head) }
        }
        batch.removeAll()
        try inner.send(&scratch)
    }
}
