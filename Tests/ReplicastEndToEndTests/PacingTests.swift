import ReplicastCore
import ReplicastRuntime
import ReplicastWire
import Testing

/// A Rendezvous Transfer keeps the promise of its window on a real transport (loopback UDP
/// here, soft-RoCE in the VM), timed at the receiver: no byte before the window starts, and
/// by any time t at most rate × (t − start) + burst bytes, burst = max(64 KiB, 2 datagrams).
@Suite("Pacing on a real transport", .serialized)
struct PacingTests {
    @Test("a get's delivery arrives within its window's rate line plus the stated burst, for every prefix")
    func deliveryRespectsTheRateBound() throws {
        let cluster = try LocalTestCluster()
        let writer = try cluster.client()
        let data = testBytes(dataSize(2 * 1024 * 1024), seed: 41)
        let hash = try writer.putChunk(Payload(copying: data)).contentHash

        // A reader whose reserved inbound allocation is 8 MB/s: the server delivers at most
        // that, so the sender's pacing, not the link, sets the arrival times.
        let recorder = RecordingTransport(try cluster.transport.open(cluster: cluster.configuration, unicastPort: 0))
        let reader = try ReplicastClient(cluster: cluster.configuration, transport: recorder) {
            $0.allocation = .split(bandwidth: 10_000_000, reservedShare: 0.8)
        }
        let receipt = try reader.getChunk(.content(hash), consensus: .client)
        #expect(receipt.payload.bytes == data)

        let window = try #require(recorder.sent.compactMap(getAccept).last).window
        let transfer = recorder.arrivals.filter { arrival in
            arrival.bytes.withUnsafeBytes { (try? DatagramHeader(parsing: $0))?.type.isTransfer ?? false }
        }
        #expect(transfer.count >= data.count / recorder.maxDatagramSize)
        let burst = max(64 * 1024, 2 * recorder.maxDatagramSize)
        var received = 0
        var worst = Int.min
        for arrival in transfer {
            #expect(arrival.time >= window.start, "a datagram arrived \(window.start - arrival.time) before its window")
            received += arrival.bytes.count
            let elapsed = Double(max(.zero, arrival.time - window.start).nanoseconds) / 1e9
            let allowed = Int(elapsed * Double(window.rate)) + burst
            worst = max(worst, received - allowed)
        }
        #expect(worst <= 0, "\(worst) bytes beyond rate × elapsed + \(burst) at the worst prefix (rate \(window.rate) B/s)")
        let seconds = Double((transfer.last!.time - transfer.first!.time).nanoseconds) / 1e9
        print("paced delivery: \(received) bytes in \(transfer.count) datagrams over \(seconds) s at a window rate of \(window.rate) B/s; worst prefix \(-worst) bytes under the bound")
    }

    private func getAccept(_ bytes: [UInt8]) -> GetAccept? {
        let envelope = bytes.withUnsafeBytes { (try? Reassembler().accept($0, now: .zero)) ?? nil }
        guard case .getAccept(let accept)? = envelope?.message else { return nil }
        return accept
    }
}
