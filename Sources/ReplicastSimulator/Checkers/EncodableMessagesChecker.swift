import ReplicastWire

/// `messagesEncodable`: every message a server's core asks to send can be encoded (its
/// driver counts those it could not). Reported once per server.
final class EncodableMessagesChecker: InvariantChecker {
    private var reported: Set<NodeID> = []

    func serverSettled(_ server: NodeID, in world: SimulationWorld) {
        guard !reported.contains(server), world.encodeErrors(of: server) > 0 else { return }
        reported.insert(server)
        world.fail(.messagesEncodable, "\(server) could not encode a message it was asked to send")
    }
}
