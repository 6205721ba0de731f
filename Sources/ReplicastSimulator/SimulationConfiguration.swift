import ReplicastCore
import ReplicastWire

/// Everything a simulated run depends on. Two runs with equal configurations do exactly the
/// same thing: every random choice comes from `seed`.
public struct SimulationConfiguration: Sendable {
    /// Seeds every random choice of the run (network faults, workload, crashes, back-off).
    public var seed: UInt64 = 1
    /// Storage servers.
    public var servers: Int = 6
    /// Clients running the workload.
    public var clients: Int = 3
    /// Puts and gets in total, over all clients (the final verification gets not counted).
    public var transactions: Int = 200
    /// Replicas per chunk.
    public var replicas: Int = 3
    /// The allocation table (rows, group sizes).
    public var table = TableConfiguration(rowCount: 8, k: 3, minimumGroupSize: 3)
    /// Links, buffers, latency and fragmentation.
    public var links = LinkConfiguration()
    /// The store behind each server.
    public var storage = StorageConfiguration()
    /// What the clients do.
    public var workload = WorkloadConfiguration()
    /// Loss, duplication, reordering, partitions and crashes.
    public var faults = FaultConfiguration()
    /// Each node's clock: its offset from true time and its drift.
    public var clocks = ClockConfiguration()
    /// The share of each node's link given to reserved (rendezvous) traffic, in and out;
    /// the rest is the unsolicited allocation.
    public var reservedShare: Double = 0.9
    /// Servers book their ingress (a reservation calendar) before proposing a rendezvous.
    /// False: every proposal is granted at once at the full rate (the comparison run).
    public var reservations: Bool = true
    /// Small-cluster mode: every server keeps an indefinite reservation for every client
    /// (half the reserved inbound rate shared among them), and clients put without
    /// proposals while their credit lasts.
    public var indefiniteReservations: Bool = false
    /// Chunk bytes each client may have in flight on its indefinite reservation.
    public var standingCredit: UInt64 = 1 << 20
    /// Adjusts every server's configuration after the simulator has set its allocations.
    public var serverTuning: @Sendable (inout ServerConfiguration) -> Void = { _ in }
    /// Adjusts every client's configuration after the simulator has set its allocations.
    public var clientTuning: @Sendable (inout ClientConfiguration) -> Void = { _ in }
    /// How long the faults-free recovery phase lasts before the final verification gets.
    public var settleTime: Duration = .seconds(4)
    /// A run still going at this virtual time has stalled (an invariant failure).
    public var timeLimit: Duration = .seconds(3600)

    public init(seed: UInt64 = 1) {
        self.seed = seed
    }
}

/// Every node's network attachment: one link to a non-blocking switch whose output port
/// towards the node has a finite buffer.
public struct LinkConfiguration: Sendable {
    /// Link rate, each direction, bytes per second (of every node not given one below).
    public var bandwidth: UInt64 = 1_250_000_000
    /// Link rates of the servers, bytes per second: server i (from 0) has
    /// `serverBandwidths[i % count]`. Empty: `bandwidth`.
    public var serverBandwidths: [UInt64] = []
    /// Link rates of the clients (the verifier last), likewise.
    public var clientBandwidths: [UInt64] = []
    /// Misconfigured nodes: the node's core is configured (its `BandwidthAllocation`) for a
    /// link this many times faster than the link it has. 1 or absent: configured right.
    public var misconfigured: [NodeID: Double] = [:]
    /// Bytes a sender may have queued on its link before it drops (socket buffer).
    public var egressBuffer: Int = 8 << 20
    /// Bytes the switch can queue towards one node; what overflows is dropped.
    public var ingressBuffer: Int = 256 << 10
    /// One-way latency through the switch.
    public var latency: Duration = .microseconds(5)
    /// Largest datagram (a larger message is sent as fragments).
    public var mtu: Int = 9000
    /// An incomplete message that received no fragment for this long is dropped (a
    /// rendezvous transfer is then reported incomplete to the receiving server).
    public var reassemblyTimeout: Duration = .milliseconds(300)

    public init() {}
}

extension LinkConfiguration {
    /// The limits every node's reassembly runs with.
    var reassemblyLimits: ReassemblyLimits { ReassemblyLimits(timeout: reassemblyTimeout) }

    /// The real link rate of the `index`th server.
    func serverBandwidth(_ index: Int) -> UInt64 {
        serverBandwidths.isEmpty ? bandwidth : serverBandwidths[index % serverBandwidths.count]
    }

    /// The real link rate of the `index`th client.
    func clientBandwidth(_ index: Int) -> UInt64 {
        clientBandwidths.isEmpty ? bandwidth : clientBandwidths[index % clientBandwidths.count]
    }

    /// The link rate `node`'s configuration states, for a real rate of `bandwidth`.
    func believedBandwidth(of node: NodeID, real bandwidth: UInt64) -> UInt64 {
        guard let factor = misconfigured[node], factor > 0 else { return bandwidth }
        return UInt64(Double(bandwidth) * factor)
    }

    /// Whether every node has the same link and knows it.
    var isUniform: Bool {
        Set(serverBandwidths + clientBandwidths).subtracting([bandwidth]).isEmpty
            && misconfigured.values.allSatisfy { $0 == 1 }
    }
}

/// The store of each server: writes stream one after another at the write rate; each is
/// written (in the disk's volatile cache) when its last byte is, and flushed (durable) a
/// latency later, flushes completing in order. The server hears of a write when it is
/// flushed; a crash loses what was written and not yet flushed. Reads overlap.
public struct StorageConfiguration: Sendable {
    /// Sustained write rate, bytes per second.
    public var writeRate: UInt64 = 2_500_000_000
    /// From a write's last byte to its being durable (the flush before the ACK).
    public var writeLatency: Duration = .microseconds(100)
    /// Fixed cost of a read.
    public var readLatency: Duration = .microseconds(50)
    /// Capacity of each server's store.
    public var capacity: UInt64 = 1 << 36
    /// A lying disk: it reports a write complete once written, before it is flushed (a
    /// volatile write cache that claims durability). A crash then loses writes the server
    /// acknowledged; the durability checkers must catch it. False for a correct disk.
    public var reportsWritesBeforeFlush: Bool = false

    public init() {}
}

/// What each client does: puts of random chunks, re-puts of existing ones (deduplicated),
/// and gets of acknowledged ones.
public struct WorkloadConfiguration: Sendable {
    /// Chunk sizes, bytes (uniform).
    public var chunkSizes: ClosedRange<Int> = 256...65_536
    /// Transactions a client keeps in flight.
    public var concurrency: Int = 4
    /// Share of transactions that are gets of acknowledged chunks.
    public var getShare: Double = 0.35
    /// Share of transactions that put a chunk already put before.
    public var duplicateShare: Double = 0.1
    /// Share of transactions run in cluster consensus (the rest in client consensus).
    public var clusterConsensusShare: Double = 0.3
    /// Open loop: each client offers new puts at this rate (bytes per second) whatever the
    /// cluster achieves; nil runs closed loop (a new transaction as soon as one finishes).
    public var offeredRate: UInt64? = nil
    /// Clients start at random times within this span.
    public var startSpread: Duration = .milliseconds(5)

    public init() {}
}

/// The nodes' real-time clocks. Each node's clock reads true time plus an offset, drawn
/// uniformly from ±`maxOffset`, plus a drift, drawn uniformly from ±`maxDrift` parts per
/// million, accumulated from the start of the run (the skew between two nodes is up to
/// twice `maxOffset`, plus their drifts' difference times the elapsed time). The cores only
/// ever see their own node's clock; rendezvous windows are absolute instants on it.
public struct ClockConfiguration: Sendable {
    /// Largest offset of a node's clock from true time, either way (less than a second).
    public var maxOffset: Duration = .zero
    /// Largest drift of a node's clock, parts per million, either way.
    public var maxDrift: Double = 0
    /// Offsets of particular nodes, instead of a random one (their drift is still drawn).
    public var offsets: [NodeID: Duration] = [:]

    public init() {}
}

/// Faults the network and the servers suffer during the workload (none during the
/// final verification).
public struct FaultConfiguration: Sendable {
    /// Probability that a datagram is lost on its way to one receiver.
    public var loss: Double = 0
    /// Probability that a datagram is delivered twice to one receiver.
    public var duplicate: Double = 0
    /// Probability that a datagram is held back (arrives after later ones).
    public var reorder: Double = 0
    /// Extra delay of a held-back datagram.
    public var reorderDelay: ClosedRange<Duration> = .microseconds(20)...(.milliseconds(3))
    /// Server crashes, spread evenly over the workload; a crashed server loses everything
    /// but its store.
    public var crashes: Int = 0
    /// Client crashes, spread evenly over the workload: a crashed client abandons every
    /// transaction in flight (none counts as acknowledged) and leaves its groups; a new
    /// incarnation with the same id takes over the rest of its work at once.
    public var clientCrashes: Int = 0
    /// How long a crashed server stays down.
    public var downtime: ClosedRange<Duration> = .milliseconds(50)...(.milliseconds(800))
    /// Network partitions (one server cut off from every other node), spread over the workload.
    public var partitions: Int = 0
    /// How long a partition lasts.
    public var partitionLength: ClosedRange<Duration> = .milliseconds(20)...(.milliseconds(400))
    /// Probability that a server's write fails with an I/O error (nothing is written).
    public var writeErrors: Double = 0
    /// Probability that a write's flush is slow: it takes a spike from `flushSpike` on top of
    /// the write latency, and the flushes after it wait for it.
    public var slowFlushes: Double = 0
    /// The extra latency of a slow flush.
    public var flushSpike: ClosedRange<Duration> = .milliseconds(5)...(.milliseconds(50))
    /// Disks that fill up, spread evenly over the workload: something else takes every free
    /// byte of a random server's store, whose writes then fail as full (it stays full).
    public var diskFills: Int = 0

    public init() {}
}
