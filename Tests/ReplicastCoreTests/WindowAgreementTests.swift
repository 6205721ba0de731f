import ReplicastCore
import ReplicastWire
import Testing

/// The chosen transfer window is one every Rendezvous Group member has booked: servers
/// offer windows with slack, the policy starts the transfer where all chosen windows hold
/// it, and the client's decision makes members shrink (or re-book, or decline) and the
/// others release.
@Suite struct WindowAgreementTests {
    let client = OneRow.client
    let group = GroupAddress(ipv4: 239, 78, 0, 9, port: 7077)
    let t0 = Instant(nanoseconds: 1_000_000_000)
    let rate: UInt64 = 1_000_000_000

    func server() throws -> ServerCore {
        var c = ServerConfiguration(id: NodeID(1))
        c.reservedInboundRate = rate
        return ServerCore(configuration: c, table: try OneRow.table(), catalog: ChunkCatalog(), freeBytes: 1 << 30)
    }

    func propose(_ s: inout ServerCore, _ id: RequestID, length: UInt64, at now: Instant) -> RendezvousWindow? {
        let m = PutProposal(
            negotiatingGroup: RowID(0), contentHash: ContentHash.of([UInt8(id.sequence)]), name: nil, chunkLength: length,
            deliveryGroup: group, maxDeliveryRate: rate, replicas: 3, consensus: .client)
        s.handle(Inbound(kind: .request, id: id, generation: 0, message: .putProposal(m)), now: now)
        for case .send(let out) in s.pollActions() {
            if case .putAccept(let a) = out.message, case .proposedRendezvous(let w) = a.answer { return w }
        }
        return nil
    }

    func decide(_ s: inout ServerCore, _ id: RequestID, members: [NodeID], window: RendezvousWindow, at now: Instant) -> [ServerAction] {
        let m = ConsensusPutAccept(proposal: id, negotiatingGroup: RowID(0), members: members, alreadyStored: [], window: window)
        s.handle(Inbound(kind: .notification, id: RequestID(source: client, sequence: id.sequence, subsequence: 9),
                         generation: 0, message: .consensusPutAccept(m)), now: now)
        return s.pollActions()
    }

    func window(_ startMicros: Int64, _ lengthMicros: Int64) -> RendezvousWindow {
        RendezvousWindow(start: t0 + .microseconds(startMicros), duration: .microseconds(lengthMicros), rate: rate)
    }

    @Test("the policy starts the transfer where every chosen window holds it")
    func policyPicksACommonTime() {
        // 100 µs transfers. Server 4 offers the second earliest start, but its window ends
        // before a transfer could end if it started with the others.
        let offers = [
            NodeID(1): window(0, 150), NodeID(2): window(40, 150), NodeID(3): window(45, 150), NodeID(4): window(20, 40),
        ]
        let zones = [NodeID(1): "a", NodeID(2): "b", NodeID(3): "c", NodeID(4): "d"]
        let decision = DefaultRendezvousPolicy().choose(RendezvousInput(
            replicas: 3, designated: [NodeID(1), NodeID(2), NodeID(3), NodeID(4)], zones: zones, alreadyStored: [],
            offers: offers, length: 100_000, maxRate: rate))
        guard case .transfer(let members, let w) = decision else { Issue.record("expected a transfer: \(decision)"); return }
        #expect(members == [NodeID(1), NodeID(2), NodeID(3)])
        #expect(w.start == t0 + .microseconds(45))
        for member in members { #expect(offers[member]!.start <= w.start && w.end <= offers[member]!.end) }
    }

    @Test("a chosen member shrinks its booking to the transfer; one not chosen releases and leaves")
    func decisionShrinksOrReleases() throws {
        var s = try server()
        let a = RequestID(source: client, sequence: 1, subsequence: 0)
        let offered = try #require(propose(&s, a, length: 100_000, at: t0))
        #expect(offered.duration > .microseconds(100))  // the slack
        let chosen = RendezvousWindow(start: offered.start + .microseconds(20), duration: .microseconds(100), rate: rate)
        _ = decide(&s, a, members: [NodeID(1), NodeID(2)], window: chosen, at: t0 + .microseconds(10))
        #expect(s.calendar.reservations.map(\.window) == [chosen])

        let b = RequestID(source: client, sequence: 2, subsequence: 0)
        _ = try #require(propose(&s, b, length: 100_000, at: t0 + .microseconds(20)))
        let actions = decide(&s, b, members: [NodeID(2), NodeID(3)], window: chosen, at: t0 + .microseconds(30))
        #expect(actions.contains(.leave(group)) == false)  // still joined for put a
        #expect(s.calendar.reservations.map(\.key) == [a])
    }

    @Test("a chosen window that collides with other bookings is declined, never overbooked")
    func collidingWindowDeclined() throws {
        var s = try server()
        let a = RequestID(source: client, sequence: 1, subsequence: 0)
        let first = try #require(propose(&s, a, length: 100_000, at: t0))
        let b = RequestID(source: client, sequence: 2, subsequence: 0)
        let second = try #require(propose(&s, b, length: 100_000, at: t0))
        #expect(second.start >= first.end)
        // b is told to transfer at a's time: the calendar has no room there.
        let clash = RendezvousWindow(start: first.start, duration: .microseconds(100), rate: rate)
        let actions = decide(&s, b, members: [NodeID(1)], window: clash, at: t0 + .microseconds(5))
        let naks = actions.compactMap { a -> PayloadNak? in
            if case .send(let o) = a, case .payloadNak(let n) = o.message { return n } else { return nil }
        }
        #expect(naks.map(\.proposal) == [b])
        #expect(naks.first?.code == .rateTooHigh)
        #expect(!s.calendar.isOverbooked)
        #expect(s.calendar.reservations.map(\.key) == [a])
    }
}
