import ReplicastCore
import ReplicastWire

/// `acknowledgedPutsReadable`: after recovery, the final verification reads every
/// acknowledged chunk back; none of those gets may fail.
final class AcknowledgedReadableChecker: InvariantChecker {
    func getCompleted(_ hash: HashID, _ result: Result<GetReceipt, GetError>, by client: NodeID, verifying: Bool,
                      in world: SimulationWorld) {
        guard verifying, case .failure(let error) = result else { return }
        let holders = (world.chunks.holders[hash] ?? []).sorted()
        world.fail(.acknowledgedPutsReadable,
                   "acknowledged chunk \(hash) (held by \(holders)) unreadable after recovery: \(error)")
    }
}
