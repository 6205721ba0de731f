import ReplicastCore
import ReplicastWire
import Testing

/// Small clusters: servers keep an indefinite reservation for each client, which puts
/// without a proposal while its credit lasts. (The simulated run of it is in
/// ReplicastSimulatorTests.)
@Suite struct IndefiniteReservationTests {
    let t0 = Instant(nanoseconds: 1_000_000_000)

    @Test("a client with credit sends the chunk to the whole Negotiating Group at once; without, it proposes")
    func clientSkipsTheProposal() throws {
        var c = ClientConfiguration(id: OneRow.client)
        c.standingReservation = StandingReservation(rate: 100_000_000, credit: 150_000)
        var client = ClientCore(configuration: c, table: try OneRow.table())
        let first = Payload(copying: [UInt8](repeating: 1, count: 100_000))
        _ = client.put(first, contentHash: ContentHash.of(first), now: t0)
        let sent = client.pollActions().compactMap { a -> Outbound? in if case .send(let o) = a { return o } else { return nil } }
        #expect(sent.count == 1)
        guard case .rendezvousTransfer(let transfer) = sent.first?.message else { Issue.record("expected a transfer"); return }
        #expect(sent.first?.target == .negotiatingGroup(OneRow.row))
        #expect(transfer.members.sorted() == OneRow.servers)
        #expect(sent.first?.pacing?.rate == 100_000_000)

        // 100 000 bytes in flight: another 100 000 would exceed the credit.
        let second = Payload(copying: [UInt8](repeating: 2, count: 100_000))
        _ = client.put(second, contentHash: ContentHash.of(second), now: t0)
        let next = client.pollActions().compactMap { a -> Message? in if case .send(let o) = a { return o.message } else { return nil } }
        #expect(next.contains { if case .putProposal = $0 { return true } else { return false } })
    }

    @Test("a server books only what its indefinite reservations leave")
    func serverCalendarShrinks() throws {
        var c = ServerConfiguration(id: OneRow.servers[0])
        c.reservedInboundRate = 1_000_000_000
        c.standingReservations = [OneRow.client: 300_000_000]
        let server = ServerCore(configuration: c, table: try OneRow.table(), catalog: ChunkCatalog(), freeBytes: 1 << 30)
        #expect(server.calendar.reservedRate == 700_000_000)
    }
}
