import ReplicastCore
import ReplicastWire

/// `requestsActedOnOnce`: a server acts on a request once. A retransmitted request is
/// answered from the response cache, which resends the earlier responses with their ids;
/// any other action on a request already acted on (a new message, a join, a disk request)
/// is acting afresh. Each incarnation of a server starts with a clean slate.
final class RequestsActedOnOnceChecker: InvariantChecker {
    private struct Incarnation {
        /// Ids of the messages this incarnation sent.
        var sent: Set<RequestID> = []
        /// Requests it acted on.
        var actedOn: Set<RequestID> = []
    }

    private var servers: [NodeID: Incarnation] = [:]

    func serverActed(_ server: NodeID, inbound: Inbound?, actions: [Action<StorageRequest>], in world: SimulationWorld) {
        var s = servers[server] ?? Incarnation()
        if let inbound, inbound.kind == .request {
            let fresh = actions.contains { action in
                if case .send(let out) = action { return !s.sent.contains(out.id) }
                return true
            }
            if fresh && !s.actedOn.insert(inbound.id).inserted {
                world.fail(.requestsActedOnOnce,
                           "\(server) acted again on \(inbound.message.wireType) \(inbound.id): \(actions.map(\.summary))")
            }
        }
        for case .send(let out) in actions { s.sent.insert(out.id) }
        servers[server] = s
    }

    func serverCrashed(_ server: NodeID, in world: SimulationWorld) {
        servers[server] = nil
    }
}
