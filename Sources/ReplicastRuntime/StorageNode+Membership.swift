import Logging
import ReplicastCore
import ReplicastDriver
import ReplicastWire

extension StorageNode {
    /// The keep-alive settings a node runs with: the defaults (heartbeat every 200 ms, down
    /// after 1 s), its start time in ns as its incarnation (so a restart is seen as one).
    static func defaultMembership() -> MembershipConfiguration {
        MembershipConfiguration(incarnation: WallClock.now().rawValue)
    }

    /// The node's keep-alive view as its loop last published it (read-only; nil before the
    /// loop ran or when the service is off): which peers are up, their round trips, counters.
    public var membership: Membership? { membershipBox.withLock { $0 } }

    /// Logs the liveness transitions since the last turn (info) and publishes the view.
    func publishMembership(_ driver: ProtocolDriver<ServerCore>) {
        guard driver.core.membership != nil else { return }
        let transitions = driver.withCore(now: WallClock.now()) { $0.takeMembershipTransitions() }
        for t in transitions {
            let rtt = driver.core.membership?.roundTrip(to: t.node).map { ", round trip \($0)" } ?? ""
            logger.info("peer \(t)\(rtt)")
        }
        membershipBox.withLock { $0 = driver.core.membership }
    }
}

extension MembershipTransition {
    /// The peer concerned.
    public var node: NodeID {
        switch self {
        case .down(let n, _), .up(let n, _, _): n
        }
    }
}
