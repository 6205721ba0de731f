import ReplicastCore
import ReplicastRuntime
import ReplicastTransport
import ReplicastWire
import Testing

/// What one rendezvous transfer puts on the wire, read from the transports' counters: the
/// client sends each fragment once, to the Rendezvous Group's multicast address, and every
/// member of that group receives every fragment. Prints the figures (in the soft-RoCE VM they
/// are UD multicast datagrams on rxe0).
@Suite("Multicast delivery of one rendezvous transfer", .serialized)
struct MulticastDeliveryTests {
    @Test("one 1 MiB chunk: sent once by multicast, received whole by each of the 3 members")
    func oneTransferReachesEveryMember() throws {
        let cluster = try LocalTestCluster()
        let client = try cluster.client()
        let size = 1 << 20
        let buffer = try client.allocate(count: size)
        let data = testBytes(size, seed: 71)
        buffer.mutableBytes.copyBytes(from: data)
        let payload = Payload(buffer)

        let ids = cluster.nodes.keys.sorted()
        let nodesBefore = ids.map { cluster.nodes[$0]!.transportCounters }
        let clientBefore = client.transportCounters
        let receipt = try client.putChunk(payload)
        let clientAfter = client.transportCounters
        // A member acknowledges only after it has every fragment; the others may still be
        // counting a relayed ACK, so their counters are read once they settle.
        var nodesAfter = ids.map { cluster.nodes[$0]!.transportCounters }
        _ = eventually(timeout: .seconds(2)) {
            let now = ids.map { cluster.nodes[$0]!.transportCounters }
            defer { nodesAfter = now }
            return now == nodesAfter
        }

        let sent = delta(clientBefore, clientAfter)
        // No transport here sends datagrams above the cluster's maximum (verbs: the path MTU).
        let largest = cluster.configuration.maxDatagramSize
        let fragments = (size + largest - 1) / largest
        let members = Set(receipt.storedOn)
        print("multicast delivery (\(EndToEndEnvironment.description)), one \(size)-byte chunk, "
            + "\(receipt.attempts) attempt(s), stored on \(receipt.storedOn.sorted()):")
        print("  client sent \(sent.datagramsSent) datagrams (\(sent.multicastDatagramsSent) multicast), "
            + "\(sent.bytesSent) bytes, \(sent.bytesSent / max(1, sent.datagramsSent)) bytes per datagram")
        for (i, id) in ids.enumerated() {
            let got = delta(nodesBefore[i], nodesAfter[i])
            // Every server that offered a window joined the group (the expedited limited join);
            // one not listed in the transfer leaves once it has seen it.
            let role = members.contains(id) ? "rendezvous member" : "offered, not listed"
            print("  node \(id.rawValue) (\(role)): received \(got.datagramsReceived) datagrams, \(got.bytesReceived) bytes")
        }
        let perByteStored = Double(sent.bytesSent) / Double(size * members.count)
        print("  client wire bytes per byte stored: \(perByteStored) (\(members.count) replicas)")

        #expect(receipt.transferred)
        #expect(members.count == 3)
        #expect(sent.multicastBytesSent >= UInt64(size))
        #expect(sent.multicastDatagramsSent >= UInt64(fragments))
        // Sent once: far below the three copies point-to-point replication would send.
        #expect(sent.bytesSent < UInt64(size) * UInt64(receipt.attempts) + UInt64(size / 4))
        #expect(perByteStored < 0.45 * Double(receipt.attempts))
        for (i, id) in ids.enumerated() where members.contains(id) {
            let got = delta(nodesBefore[i], nodesAfter[i])
            #expect(got.datagramsReceived >= UInt64(fragments), "node \(id) received \(got.datagramsReceived)")
            #expect(got.bytesReceived >= UInt64(size), "node \(id) received \(got.bytesReceived) bytes")
        }
        #expect(try client.getChunk(.content(receipt.contentHash)).payload.bytes == data)
    }

    private func delta(_ a: TransportCounters, _ b: TransportCounters) -> TransportCounters {
        var d = TransportCounters()
        d.datagramsSent = b.datagramsSent - a.datagramsSent
        d.bytesSent = b.bytesSent - a.bytesSent
        d.multicastDatagramsSent = b.multicastDatagramsSent - a.multicastDatagramsSent
        d.multicastBytesSent = b.multicastBytesSent - a.multicastBytesSent
        d.datagramsReceived = b.datagramsReceived - a.datagramsReceived
        d.bytesReceived = b.bytesReceived - a.bytesReceived
        return d
    }
}
