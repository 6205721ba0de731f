import ReplicastWire

/// `serversRelease`: once the run is over and every pending timer has fired, no server
/// still holds a transaction, a Rendezvous Group membership or a booking.
final class ServersReleaseChecker: InvariantChecker {
    func runEnded(_ end: RunEnd, in world: SimulationWorld) {
        guard case .finished = end else { return }
        for id in world.serverIDs {
            guard let core = world.core(of: id) else { continue }
            let booked = core.calendar.load(at: world.now)
            if core.openTransactions > 0 || core.joinedRendezvousGroups > 0 || booked > 0 {
                world.fail(.serversRelease,
                           "server \(id) still holds \(core.openTransactions) transactions, \(core.joinedRendezvousGroups) "
                               + "rendezvous groups and \(booked) B/s of bookings after every timer fired")
            }
        }
    }
}
