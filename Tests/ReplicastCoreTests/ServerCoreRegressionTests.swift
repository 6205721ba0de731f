import ReplicastCore
import ReplicastWire
import Testing

/// Core bugs the simulator found, pinned down without it.
@Suite struct ServerCoreRegressionTests {
    let client = OneRow.client
    let group = GroupAddress(ipv4: 239, 78, 0, 9, port: 7077)
    let t0 = Instant(nanoseconds: 1_000_000_000)

    func proposal(_ hash: HashID, length: UInt64) -> Message {
        .putProposal(PutProposal(
            negotiatingGroup: RowID(0), contentHash: hash, name: nil, chunkLength: length, deliveryGroup: group,
            maxDeliveryRate: 1_000_000_000, replicas: 3, consensus: .client))
    }

    func sends(_ actions: [ServerAction]) -> [Outbound] {
        actions.compactMap { if case .send(let o) = $0 { return o } else { return nil } }
    }

    @Test("an incomplete transfer NAKs the attempt it belongs to, not an earlier one still held")
    func incompleteTransferNaksItsOwnAttempt() throws {
        var server = ServerCore(
            configuration: ServerConfiguration(id: NodeID(1)), table: try OneRow.table(), catalog: ChunkCatalog(),
            freeBytes: 1 << 30)
        let hash = ContentHash.of([UInt8](repeating: 7, count: 100))
        // Attempts 1 and 2 of the same put (sub-sequences 4 and 8): both are held.
        let first = RequestID(source: client, sequence: 5, subsequence: 4)
        let second = RequestID(source: client, sequence: 5, subsequence: 8)
        server.handle(Inbound(kind: .request, id: first, generation: 0, message: proposal(hash, length: 100_000)), now: t0)
        server.handle(Inbound(kind: .request, id: second, generation: 0, message: proposal(hash, length: 100_000)), now: t0)
        _ = server.pollActions()

        // The second attempt's transfer (sub-sequence 9) arrived incomplete.
        server.transferIncomplete(RequestID(source: client, sequence: 5, subsequence: 9), now: t0 + .milliseconds(1))
        let naks = sends(server.pollActions()).compactMap { out -> RequestID? in
            if case .payloadNak(let n) = out.message { return n.proposal } else { return nil }
        }
        #expect(naks == [second])
    }

    @Test("a retransmitted Get Accept does not send the chunk a second time")
    func duplicateGetAcceptActsOnce() throws {
        let bytes = [UInt8](repeating: 3, count: 50_000)
        let hash = ContentHash.of(bytes)
        var catalog = ChunkCatalog()
        catalog.add(hash, length: UInt64(bytes.count), designated: true)
        var server = ServerCore(
            configuration: ServerConfiguration(id: NodeID(2)), table: try OneRow.table(), catalog: catalog, freeBytes: 1 << 30)
        let request = RequestID(source: client, sequence: 9, subsequence: 2)
        let get = GetRequest(
            negotiatingGroup: RowID(0), target: .content(hash), deliveryGroup: group, maxImmediate: 4096,
            consensus: .client, receptionWindows: [RendezvousWindow(start: t0, duration: .seconds(1), rate: 1_000_000_000)])
        server.handle(Inbound(kind: .request, id: request, generation: 0, message: .getRequest(get)), now: t0)
        #expect(sends(server.pollActions()).count == 1)  // the Get Response

        let accept = Inbound(
            kind: .request, id: RequestID(source: client, sequence: 9, subsequence: 3), generation: 0,
            message: .getAccept(GetAccept(
                request: request, negotiatingGroup: RowID(0), server: NodeID(2),
                window: RendezvousWindow(start: t0, duration: .milliseconds(1), rate: 1_000_000_000))))
        server.handle(accept, now: t0 + .microseconds(100))
        let loads = server.pollActions().compactMap { a -> LoadRequest? in
            if case .effect(.load(let l)) = a { return l } else { return nil }
        }
        #expect(loads.count == 1)

        // The same accept again (a duplicate datagram, or the client's retransmission).
        server.handle(accept, now: t0 + .microseconds(150))
        let again = server.pollActions()
        #expect(!again.contains { if case .effect(.load) = $0 { return true } else { return false } })

        server.loadCompleted(token: try #require(loads.first).token, result: .success(Payload(copying: bytes)), now: t0 + .microseconds(200))
        let transfers = sends(server.pollActions()).filter { if case .rendezvousTransfer = $0.message { return true } else { return false } }
        #expect(transfers.count == 1)
    }
}
