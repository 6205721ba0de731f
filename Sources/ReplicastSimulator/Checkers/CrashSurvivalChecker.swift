import ReplicastWire

/// `acknowledgedChunksSurviveCrashes`: no acknowledged chunk is lost. When a server comes
/// back from a crash, its store still holds every chunk an acknowledged put named it a
/// holder of (a crash loses only writes not yet flushed, which no server may have
/// acknowledged).
final class CrashSurvivalChecker: InvariantChecker {
    func serverRestarted(_ server: NodeID, in world: SimulationWorld) {
        let store = world.store(of: server)
        let lost = world.chunks.acknowledgedOrder.filter {
            world.chunks.holders[$0]?.contains(server) == true && !store.isDurable($0)
        }
        guard !lost.isEmpty else { return }
        world.fail(.acknowledgedChunksSurviveCrashes,
                   "\(server) restarted without \(lost.count) chunks it was acknowledged to hold: "
                       + lost.prefix(3).map(\.description).joined(separator: ", "))
    }
}
