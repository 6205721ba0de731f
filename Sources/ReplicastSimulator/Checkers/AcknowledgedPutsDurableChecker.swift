import ReplicastCore
import ReplicastWire

/// `acknowledgedPutsDurable`: when a client's put is acknowledged, every server its receipt
/// names as a holder (stored on, or already stored) has the chunk in its store, flushed.
final class AcknowledgedPutsDurableChecker: InvariantChecker {
    func putAcknowledged(_ receipt: PutReceipt, by client: NodeID, in world: SimulationWorld) {
        let hash = receipt.contentHash
        for holder in receipt.storedOn + receipt.alreadyStored where !world.store(of: holder).isDurable(hash) {
            world.fail(.acknowledgedPutsDurable,
                       "put of \(hash) acknowledged with \(holder) as a holder, which does not store it (flushed)")
        }
    }
}
