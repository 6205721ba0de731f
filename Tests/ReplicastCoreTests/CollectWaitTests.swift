@testable import ReplicastCore
import ReplicastWire
import Testing

/// How long a client collects answers: a generous wait before any round trip was measured,
/// then one that follows the measured round trips.
@Suite struct CollectWaitTests {
    let t0 = Instant(nanoseconds: 1_000_000_000)

    @Test("the estimator gives the initial wait until its first sample, then SRTT + 4 RTTVAR within bounds")
    func estimator() {
        var rtt = RoundTripEstimator()
        #expect(rtt.timeout(floor: .milliseconds(20), ceiling: .seconds(2), initial: .seconds(1)) == .seconds(1))
        #expect(rtt.timeout(floor: .milliseconds(20), ceiling: .milliseconds(500), initial: .seconds(1)) == .milliseconds(500))
        rtt.add(.milliseconds(10))  // SRTT 10 ms, RTTVAR 5 ms: 30 ms
        #expect(rtt.timeout(floor: .milliseconds(20), ceiling: .seconds(2), initial: .seconds(1)) == .milliseconds(30))
        #expect(rtt.timeout(floor: .milliseconds(40), ceiling: .seconds(2), initial: .seconds(1)) == .milliseconds(40))
    }

    @Test("a fresh client waits the initial time for answers; after a full round, the measured time")
    func clientLearnsFromFirstRound() throws {
        var client = try OneRowClient()
        let first = try client.propose(1, at: t0)
        #expect(client.core.nextDeadline == t0 + client.configuration.initialCollectTimeout)

        // Every member answers within 5 ms: the round ends at the last answer.
        let window = RendezvousWindow(start: t0 + .milliseconds(50), duration: .milliseconds(10), rate: 1_000_000_000)
        for server in client.servers { client.answer(first, from: server, window: window, at: t0 + .milliseconds(5)) }
        #expect(client.core.roundTrips.smoothed == .milliseconds(5))
        _ = client.core.pollActions()

        // The next proposal waits the floor (5 ms + 4 x 2.5 ms is below it), not the initial wait.
        // (The first put's own deadline, its window's end plus the ACK grace, is later.)
        let later = t0 + .milliseconds(10)
        _ = try client.propose(2, at: later)
        #expect(client.core.nextDeadline == later + client.configuration.collectTimeout)
    }

    @Test("an answer that comes after the client decided still lengthens the next waits")
    func clientLearnsFromLateAnswer() throws {
        var client = try OneRowClient()
        let c = client.configuration
        let proposal = try client.propose(7, at: t0)
        let window = RendezvousWindow(start: t0 + .seconds(1), duration: .milliseconds(10), rate: 1_000_000_000)
        client.answer(proposal, from: client.servers[0], window: window, at: t0 + .milliseconds(5))
        client.answer(proposal, from: client.servers[1], window: window, at: t0 + .milliseconds(5))
        client.core.handleTimeout(now: t0 + c.initialCollectTimeout)  // decides with two of three
        #expect(client.core.roundTrips.smoothed == nil)  // a partial round teaches nothing
        client.answer(proposal, from: client.servers[2], window: window, at: t0 + .milliseconds(400))  // after the decision
        #expect(client.core.roundTrips.smoothed == .milliseconds(400))
        #expect(client.core.roundTrips.timeout(floor: c.collectTimeout, ceiling: .seconds(2), initial: c.initialCollectTimeout)
            > .milliseconds(400))
    }
}

/// The timing of one round of answers.
@Suite struct AnswerRoundTests {
    let t0 = Instant(nanoseconds: 1_000_000_000)
    let members = [NodeID(1), NodeID(2), NodeID(3)]

    @Test("a round yields its duration once, when the last member answers, even after its deadline")
    func completeOnceLate() {
        var round = AnswerRound(startedAt: t0)
        #expect(round.record(NodeID(1), of: members, now: t0 + .milliseconds(2)) == nil)
        #expect(round.record(NodeID(2), of: members, now: t0 + .milliseconds(3)) == nil)
        // The third answer comes long after the round was decided: it still counts.
        #expect(round.record(NodeID(3), of: members, now: t0 + .milliseconds(90)) == .milliseconds(90))
        #expect(round.record(NodeID(3), of: members, now: t0 + .milliseconds(95)) == nil)  // a duplicate
    }

    @Test("answers before the round began (a peer's answer before the proposal) wait for the start")
    func answersBeforeStart() {
        var round = AnswerRound()
        #expect(round.record(NodeID(2), of: members, now: t0) == nil)
        #expect(round.record(NodeID(3), of: members, now: t0) == nil)
        round.startedAt = t0 + .milliseconds(1)
        #expect(round.record(NodeID(1), of: members, now: t0 + .milliseconds(1)) == .zero)
    }
}
