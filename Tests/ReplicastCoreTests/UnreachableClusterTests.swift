import ReplicastCore
import ReplicastWire
import Testing

/// A client whose cluster cannot be reached says so within a few seconds, naming what it
/// tried, instead of running out every attempt (about 34 s before).
@Suite struct UnreachableClusterTests {
    /// Runs `core`'s timers (no answer ever comes) until `token`'s outcome, or `limit`.
    func runAlone(_ core: inout ClientCore, from start: Instant, limit: Duration) -> (ClientOutcome?, Instant) {
        var now = start
        while now - start < limit, let d = core.nextDeadline {
            now = max(now, d)
            core.handleTimeout(now: now)
            for case .effect(let outcome) in core.pollActions() { return (outcome, now) }
        }
        return (nil, now)
    }

    @Test("a put and a get that no server answers end with noResponse after the silence limit, naming the row's servers and group")
    func silentClusterFailsFast() throws {
        let table = try OneRow.table()
        var configuration = ClientConfiguration(id: OneRow.client)
        configuration.seed = 3
        var core = ClientCore(configuration: configuration, table: table)
        let start = Instant(nanoseconds: 1_000_000_000)
        let payload = Payload(copying: [UInt8](repeating: 7, count: 4000))
        _ = core.put(payload, contentHash: ContentHash.of(payload), now: start)
        _ = core.pollActions()
        let (outcome, end) = runAlone(&core, from: start, limit: .seconds(60))
        guard case .put(let put)? = outcome, case .failure(.noResponse(let tried)) = put.result else {
            Issue.record("expected noResponse, got \(String(describing: outcome))")
            return
        }
        #expect(end - start >= configuration.silenceLimit)
        #expect(end - start < configuration.silenceLimit + .seconds(2), "gave up after \(end - start)")
        #expect(tried.servers == OneRow.servers)
        #expect(tried.group == table.row(OneRow.row)?.addresses.negotiating.first)
        #expect(tried.attempts < configuration.maxAttempts)
        #expect(PutError.noResponse(tried).description.contains("servers s1, s2, s3 at"))

        _ = core.get(.content(ContentHash.of(payload)), now: end)
        _ = core.pollActions()
        let (got, gotEnd) = runAlone(&core, from: end, limit: .seconds(60))
        guard case .get(let get)? = got, case .failure(.noResponse) = get.result else {
            Issue.record("expected noResponse, got \(String(describing: got))")
            return
        }
        #expect(gotEnd - end < configuration.silenceLimit + .seconds(2))
    }

    @Test("a client that hears from the cluster meanwhile keeps retrying a silent row up to its attempts")
    func reachableClusterRetriesEveryAttempt() throws {
        let table = try OneRow.table()
        var configuration = ClientConfiguration(id: OneRow.client)
        configuration.seed = 3
        var core = ClientCore(configuration: configuration, table: table)
        var now = Instant(nanoseconds: 1_000_000_000)
        let start = now
        let payload = Payload(copying: [UInt8](repeating: 9, count: 4000))
        _ = core.put(payload, contentHash: ContentHash.of(payload), now: now)
        var proposals = 0
        var outcome: ClientOutcome?
        while outcome == nil, let d = core.nextDeadline, now - start < .seconds(120) {
            now = max(now, d)
            // Some server is heard all along (an answer to an earlier, finished transaction).
            core.handle(Inbound(
                kind: .notification, id: RequestID(source: OneRow.servers[0], sequence: 1), generation: table.generation,
                message: .transferAbort(TransferAbort(
                    request: RequestID(source: OneRow.client, sequence: 999), deliveryGroup: try #require(table.rendezvousPools.first).group(client: OneRow.client, sequence: 999),
                    reason: .superseded))),
                now: now)
            core.handleTimeout(now: now)
            for action in core.pollActions() {
                if case .send(let out) = action, case .putProposal = out.message { proposals += 1 }
                if case .effect(let o) = action { outcome = o }
            }
        }
        #expect(proposals == configuration.maxAttempts)
        guard case .put(let put)? = outcome, case .failure(.noResponse(let tried)) = put.result else {
            Issue.record("expected noResponse, got \(String(describing: outcome))")
            return
        }
        #expect(tried.attempts == configuration.maxAttempts)
    }
}
