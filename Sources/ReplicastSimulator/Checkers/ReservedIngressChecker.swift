import ReplicastWire

/// `reservedIngressWithinAllocation`: the reservations a server has granted never sum
/// above its reserved inbound rate (its calendar is never overbooked). Reported once per
/// server.
final class ReservedIngressChecker: InvariantChecker {
    private var reported: Set<NodeID> = []

    func serverSettled(_ server: NodeID, in world: SimulationWorld) {
        guard !reported.contains(server), let calendar = world.core(of: server)?.calendar, calendar.isOverbooked
        else { return }
        reported.insert(server)
        world.fail(.reservedIngressWithinAllocation,
                   "\(server) granted more than its reserved inbound rate of \(calendar.reservedRate) B/s: "
                       + calendar.reservations.map { "\($0.key) \($0.window.start)+\($0.window.duration)@\($0.window.rate)" }
                       .joined(separator: ", "))
    }
}
