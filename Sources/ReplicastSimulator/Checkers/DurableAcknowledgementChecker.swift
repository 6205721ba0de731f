import ReplicastCore
import ReplicastWire

/// `acknowledgementsFollowDurableWrites`: a server sends a Payload ACK for a chunk only while
/// its store holds the chunk flushed. A write that failed (an I/O error, a full store)
/// must be NAKed, and a write not yet flushed must not be ACKed.
final class DurableAcknowledgementChecker: InvariantChecker {
    func serverActed(_ server: NodeID, inbound: Inbound?, actions: [Action<StorageRequest>], in world: SimulationWorld) {
        for case .send(let out) in actions {
            guard case .payloadAck(let ack) = out.message, !world.store(of: server).isDurable(ack.contentHash) else { continue }
            world.fail(.acknowledgementsFollowDurableWrites,
                       "\(server) sent a Payload ACK \(out.id) for \(ack.contentHash) (proposal \(ack.proposal)), "
                           + "which its store does not hold flushed")
        }
    }
}
