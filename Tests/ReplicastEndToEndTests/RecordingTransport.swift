import ReplicastRuntime
import ReplicastTransport
import ReplicastWire

/// A real transport that notes when each datagram arrived (the receiver's clock, read as
/// the datagram is handed over) and keeps a copy of every datagram sent.
final class RecordingTransport: ForwardingTransport {
    struct Arrival {
        var time: Instant
        var bytes: [UInt8]
    }

    let inner: any DatagramTransport
    private(set) var arrivals: [Arrival] = []
    private(set) var sent: [[UInt8]] = []

    init(_ inner: any DatagramTransport) { self.inner = inner }

    func receive(timeout: Duration?, _ handler: (ReceivedDatagram) -> Void) throws(TransportError) -> Int {
        try inner.receive(timeout: timeout) { datagram in
            arrivals.append(Arrival(time: WallClock.now(), bytes: [UInt8](datagram.bytes)))
            handler(datagram)
        }
    }

    func send(_ batch: inout SendBatch) throws(TransportError) {
        for i in 0..<batch.count {
            var bytes = [UInt8](batch.head(i))
            batch.entries[i].body.withUnsafeBytes { bytes.append(contentsOf: $0) }
            sent.append(bytes)
        }
        try inner.send(&batch)
    }
}
