import ReplicastCore
import ReplicastWire

/// `getsReturnRightBytes`: a get that succeeds returns exactly the bytes put under its
/// hash.
final class RightBytesChecker: InvariantChecker {
    func getCompleted(_ hash: HashID, _ result: Result<GetReceipt, GetError>, by client: NodeID, verifying: Bool,
                      in world: SimulationWorld) {
        guard case .success(let receipt) = result else { return }
        if !world.chunks.isRight(receipt.payload, for: hash) || receipt.contentHash != hash {
            world.fail(.getsReturnRightBytes,
                       "get of \(hash) by \(client) returned \(receipt.payload.count) wrong bytes from \(receipt.server)")
        }
    }
}
