import ReplicastCore
import ReplicastDriver
import ReplicastWire

/// A client in the simulation: the real `ClientCore` in the real `ProtocolDriver`, and the
/// transactions it was asked to run.
final class SimulatedClient {
    /// A transaction in flight.
    enum Operation {
        case put(HashID, started: Instant)
        case get(HashID)
    }

    let id: NodeID
    var attachment: NodeAttachment
    var driver: ProtocolDriver<ClientCore>
    let links: LinkConfiguration
    var core: ClientCore { driver.core }
    /// Transactions started and not yet finished, by token.
    var inFlight: [TransactionToken: Operation] = [:]
    /// Transactions still to start.
    var remaining: Int
    /// Of those, how many may start now (open loop: the ones that have "arrived").
    var eligible: Int
    /// Transactions this client may keep in flight.
    let concurrency: Int

    init(core: ClientCore, links: LinkConfiguration, bandwidth: UInt64, clock: NodeClock, transactions: Int, concurrency: Int, openLoop: Bool) {
        self.id = core.configuration.id
        self.links = links
        self.driver = ProtocolDriver(core: core, maxDatagramSize: links.mtu, limits: links.reassemblyLimits)
        self.attachment = NodeAttachment(links: links, bandwidth: bandwidth, clock: clock)
        self.remaining = transactions
        self.eligible = openLoop ? 0 : transactions
        self.concurrency = concurrency
    }

    /// Whether every transaction of this client has finished.
    var isDone: Bool { remaining == 0 && inFlight.isEmpty }
}
