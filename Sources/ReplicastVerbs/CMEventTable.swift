import Dispatch
import ReplicastWire
import Synchronization

/// A failure an rdma_cm event reported: what it means, the event's name and its status.
struct CMEventFailure: Sendable, Equatable, CustomStringConvertible {
    /// What happened, in words, e.g. "the RDMA device was removed".
    var reason: String
    /// The event's name, e.g. `RDMA_CM_EVENT_MULTICAST_ERROR`.
    var event: String
    /// The event's status: a negative errno, or 0.
    var status: Int32

    /// The event and its status, e.g. `RDMA_CM_EVENT_MULTICAST_ERROR, status -110`.
    var eventAndStatus: String { "\(event), status \(status)" }

    var description: String { "\(reason): \(eventAndStatus)" }

    /// The errno for a `TransportError` (the negated status), nil when the status is 0.
    var errorCode: Int32? { status < 0 ? -status : nil }
}

/// How a multicast join ended.
enum JoinOutcome<Parameters: Sendable>: Sendable {
    /// RDMA_CM_EVENT_MULTICAST_JOIN, with what it carried.
    case joined(Parameters)
    /// RDMA_CM_EVENT_MULTICAST_ERROR, or a transport failure while the join was pending.
    case failed(CMEventFailure)
}

/// What the rdma_cm event thread tells the thread that drives a transport, and the only
/// state the two share: joins waiting for their event, groups the fabric dropped after
/// they were joined, and a failure of the whole transport (device removed, address changed).
///
/// Groups are IPv4 multicast addresses (host order). The driving thread registers a join
/// with `expectJoin` before it posts `rdma_join_multicast`, then waits in `awaitJoin`; the
/// event thread completes it with `joined` or `failed`. A join is a member from the moment
/// `awaitJoin` returns it joined until `forget`. `Parameters` is what a join event carries
/// (generic so the table can be exercised without a device).
final class CMEventTable<Parameters: Sendable>: Sendable {
    private struct PendingJoin {
        let signal = DispatchSemaphore(value: 0)
        var outcome: JoinOutcome<Parameters>?
    }

    private struct State {
        var pending: [UInt32: PendingJoin] = [:]
        var members: Set<UInt32> = []
        var droppedGroups: [UInt32: CMEventFailure] = [:]
        var transportFailure: CMEventFailure?

        var hasFailures: Bool { transportFailure != nil || !droppedGroups.isEmpty }
    }

    private let state = Mutex(State())
    /// Mirrors `State.hasFailures`, so the data path checks one atomic, not the lock.
    private let failuresRecorded = Atomic<Bool>(false)

    init() {}

    // MARK: The driving thread

    /// Whether any group was dropped or the transport failed (one atomic load).
    var hasFailures: Bool { failuresRecorded.load(ordering: .acquiring) }

    /// The failure of the whole transport, if one was reported.
    var transportFailure: CMEventFailure? {
        guard hasFailures else { return nil }
        return state.withLock { $0.transportFailure }
    }

    /// Why `group` was dropped by the fabric after it was joined, if it was.
    func droppedGroup(_ group: UInt32) -> CMEventFailure? {
        guard hasFailures else { return nil }
        return state.withLock { $0.droppedGroups[group] }
    }

    /// Registers a join of `group` about to be posted (at most one per group at a time).
    /// After a transport failure it completes at once, failed.
    func expectJoin(_ group: UInt32) {
        state.withLock { s in
            var join = PendingJoin()
            if let failure = s.transportFailure {
                join.outcome = .failed(failure)
                join.signal.signal()
            }
            s.pending[group] = join
        }
    }

    /// Withdraws the join of `group` (posting it failed).
    func cancelJoin(_ group: UInt32) {
        _ = state.withLock { $0.pending.removeValue(forKey: group) }
    }

    /// Waits up to `timeout` for the join of `group` to end and withdraws it: its outcome,
    /// or nil if none came in time (or no join was expected). A joined group becomes a member.
    func awaitJoin(_ group: UInt32, timeout: Duration) -> JoinOutcome<Parameters>? {
        guard let signal = state.withLock({ $0.pending[group]?.signal }) else { return nil }
        let nanoseconds = max(0, timeout.nanoseconds)
        _ = signal.wait(timeout: .now() + .nanoseconds(Int(clamping: nanoseconds)))
        return state.withLock { s in
            let outcome = s.pending.removeValue(forKey: group)?.outcome
            if case .joined = outcome {
                s.members.insert(group)
                s.droppedGroups[group] = nil
                failuresRecorded.store(s.hasFailures, ordering: .releasing)
            }
            return outcome
        }
    }

    /// Forgets `group` (left, or its join abandoned): no longer a member, nor dropped.
    func forget(_ group: UInt32) {
        state.withLock { s in
            s.members.remove(group)
            s.droppedGroups[group] = nil
            failuresRecorded.store(s.hasFailures, ordering: .releasing)
        }
    }

    // MARK: The event thread

    /// RDMA_CM_EVENT_MULTICAST_JOIN for `group`: completes its pending join, if any.
    func joined(_ group: UInt32, _ parameters: Parameters) {
        state.withLock { s in
            guard s.pending[group] != nil, s.pending[group]!.outcome == nil else { return }
            s.pending[group]!.outcome = .joined(parameters)
            s.pending[group]!.signal.signal()
        }
    }

    /// RDMA_CM_EVENT_MULTICAST_ERROR for `group`: fails its pending join, or, for a member,
    /// records the group as dropped. Ignored for any other group.
    func failed(_ group: UInt32, _ failure: CMEventFailure) {
        state.withLock { s in
            if s.pending[group] != nil {
                guard s.pending[group]!.outcome == nil else { return }
                s.pending[group]!.outcome = .failed(failure)
                s.pending[group]!.signal.signal()
            } else if s.members.contains(group) {
                s.droppedGroups[group] = failure
                failuresRecorded.store(true, ordering: .releasing)
            }
        }
    }

    /// A failure of the whole transport: recorded (the first one stays) and every pending
    /// join fails with it.
    func transportFailed(_ failure: CMEventFailure) {
        state.withLock { s in
            if s.transportFailure == nil { s.transportFailure = failure }
            for group in s.pending.keys where s.pending[group]!.outcome == nil {
                s.pending[group]!.outcome = .failed(failure)
                s.pending[group]!.signal.signal()
            }
            failuresRecorded.store(true, ordering: .releasing)
        }
    }
}
