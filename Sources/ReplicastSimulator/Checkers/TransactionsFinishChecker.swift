import ReplicastWire

/// `transactionsFinish`: the run ends before its time limit, and never with transactions in
/// flight and nothing left to happen (a stall is reported only when nothing else broke,
/// since a broken invariant often explains it).
final class TransactionsFinishChecker: InvariantChecker {
    func runEnded(_ end: RunEnd, in world: SimulationWorld) {
        switch end {
        case .finished:
            break
        case .timeLimitPassed(let limit):
            world.fail(.transactionsFinish, "the run passed its time limit of \(limit)")
        case .stalled(let inFlight, let phase):
            if !world.hasViolations {
                world.fail(.transactionsFinish, "nothing left to happen with \(inFlight) transactions in flight (phase \(phase))")
            }
        }
    }
}
