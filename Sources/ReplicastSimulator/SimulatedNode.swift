/// A simulated server or client, as the network sees it.
protocol SimulatedNode: AnyObject {
    var attachment: NodeAttachment { get set }
}

extension SimulatedServer: SimulatedNode {}
extension SimulatedClient: SimulatedNode {}
