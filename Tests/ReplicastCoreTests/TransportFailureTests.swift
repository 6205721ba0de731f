import ReplicastCore
import ReplicastWire
import Testing

/// `ClientCore.abandonAll(transportFailure:)`: when the transport below has failed for good,
/// every transaction ends at once with that reason instead of retrying until it gives up.
@Suite struct TransportFailureTests {
    let t0 = Instant(nanoseconds: 1_000_000_000)

    @Test func everyTransactionInProgressEndsWithTheTransportsFailure() throws {
        var client = try OneRowClient()
        let proposal = try client.propose(1, at: t0)
        // One server offers a window: the put is past its first answer, not only proposed.
        client.answer(proposal, from: client.servers[0], window: RendezvousWindow(start: t0, duration: .milliseconds(5), rate: 1_000_000), at: t0)
        _ = client.core.put(Payload(copying: [UInt8](repeating: 2, count: 1000)), contentHash: HashID(words: (2, 0, 0, 0)), now: t0)
        let get = client.core.get(.content(HashID(words: (3, 0, 0, 0))), now: t0)
        let locate = client.core.locate(HashID(words: (4, 0, 0, 0)), now: t0)
        let joined = client.core.pollActions().compactMap { action -> GroupAddress? in
            if case .join(let group) = action { return group } else { return nil }
        }
        #expect(client.core.inFlight == 4)

        client.core.abandonAll(transportFailure: "rxe0: the RDMA device was removed")
        let actions = client.core.pollActions()
        var putFailures = 0
        var getFailure: GetError?
        var located: LocateReport?
        var left: [GroupAddress] = []
        for action in actions {
            switch action {
            case .effect(.put(let o)):
                if case .failure(.transportFailed(let why)) = o.result, why.contains("device was removed") { putFailures += 1 }
            case .effect(.get(let o)):
                #expect(o.token == get)
                if case .failure(let e) = o.result { getFailure = e }
            case .effect(.locate(let token, let report)):
                #expect(token == locate)
                located = report
            case .leave(let group): left.append(group)
            case .send: Issue.record("nothing is sent once the transport has failed")
            default: break
            }
        }
        #expect(putFailures == 2)
        #expect(getFailure == .transportFailed("rxe0: the RDMA device was removed"))
        #expect(located?.holders == [])
        // The get's delivery group, joined when it started, is left.
        #expect(!joined.isEmpty && Set(left) == Set(joined))
        #expect(client.core.inFlight == 0)
        #expect(client.core.nextDeadline == nil)
    }
}
