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
    /// When the disk finishes the flushes begun so far (they complete in order).
    var flushedAt: Instant = .zero
    /// Counters of earlier incarnations.
    var earlierStats = ServerStats()

    init(id: NodeID, configuration: ServerConfiguration, table: AllocationTable, links: LinkConfiguration, bandwidth: UInt64,
         clock: NodeClock, capacity: UInt64) {
        self.id = id
        self.configuration = configuration
        self.links = links
        self.attachment = NodeAttachment(links: links, bandwidth: bandwidth, clock: clock)
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
        flushedAt = now
        store.crash()
    }

    /// Restarts the server with a fresh core built from its store, numbering its messages
    /// from the new incarnation's own range.
    func restart(table: AllocationTable) {
        var configuration = configuration
        configuration.firstSequence = attachment.firstSequence
        configuration.membership?.incarnation = UInt64(attachment.incarnation) + 1  // a restart is a new incarnation
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
