import ReplicastCore
import ReplicastDriver
import ReplicastWire

/// A storage server in the simulation: the real `ServerCore` in the real `ProtocolDriver`,
/// a store that survives crashes, and a disk that completes one write at a time.
final class SimulatedServer {
    let id: NodeID
    let configuration: ServerConfiguration
    let links: LinkConfiguration
    var attachment: NodeAttachment
    var store: SimulatedStore
    /// The driver and its core; nil while the server is down.
    var driver: ProtocolDriver<ServerCore>?
    /// The protocol core; nil while the server is down.
    var core: ServerCore? { driver?.core }
    /// When the disk finishes the writes queued so far.
    var diskFreeAt: Instant = .zero
    /// Ids of the messages this incarnation sent (a replayed response reuses its id).
    var sentIDs: Set<RequestID> = []
    /// Requests this incarnation acted on (answered afresh).
    var actedOn: Set<RequestID> = []
    /// Counters of earlier incarnations.
    var earlierStats = ServerStats()
    /// Whether an overbooked calendar has been reported already.
    var reportedOverbooking = false
    /// Whether a message that could not be encoded has been reported already.
    var reportedEncodeError = false

    init(id: NodeID, configuration: ServerConfiguration, table: AllocationTable, links: LinkConfiguration, capacity: UInt64) {
        self.id = id
        self.configuration = configuration
        self.links = links
        self.attachment = NodeAttachment(links: links)
        self.store = SimulatedStore(capacity: capacity)
        self.driver = ProtocolDriver(
            core: ServerCore(configuration: configuration, table: table, catalog: ChunkCatalog(), freeBytes: capacity),
            maxDatagramSize: links.mtu, limits: links.reassemblyLimits)
    }

    /// Counters over every incarnation.
    var stats: ServerStats {
        core.map { earlierStats.adding($0.stats) } ?? earlierStats
    }

    /// Crashes the server: the core and everything in flight are lost, the store stays.
    func crash(at now: Instant) {
        if let core { earlierStats = earlierStats.adding(core.stats) }
        driver = nil
        attachment.crash(at: now)
        diskFreeAt = now
        sentIDs = []
        actedOn = []
    }

    /// Restarts the server with a fresh core built from its store, numbering its messages
    /// from the new incarnation's own range.
    func restart(table: AllocationTable) {
        var configuration = configuration
        configuration.firstSequence = attachment.firstSequence
        driver = ProtocolDriver(
            core: ServerCore(configuration: configuration, table: table, catalog: store.catalog(), freeBytes: store.freeBytes),
            maxDatagramSize: links.mtu, limits: links.reassemblyLimits)
        attachment.isUp = true
    }
}

extension ServerStats {
    /// The field-by-field sum of two sets of counters.
    func adding(_ o: ServerStats) -> ServerStats {
        var s = self
        s.proposals += o.proposals
        s.acceptsOffered += o.acceptsOffered
        s.notNow += o.notNow
        s.alreadyStored += o.alreadyStored
        s.chunksStored += o.chunksStored
        s.volunteerCopies += o.volunteerCopies
        s.naks += o.naks
        s.duplicateRequests += o.duplicateRequests
        s.staleMessages += o.staleMessages
        s.expiredReservations += o.expiredReservations
        s.incompleteTransfers += o.incompleteTransfers
        s.transfersServed += o.transfersServed
        s.leftNotListed += o.leftNotListed
        s.declinedWindows += o.declinedWindows
        s.unbookedTransfers += o.unbookedTransfers
        s.newerGenerationSeen += o.newerGenerationSeen
        return s
    }
}
