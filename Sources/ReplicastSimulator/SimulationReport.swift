import ReplicastCore
import ReplicastWire

/// What a simulated run did, and whether every invariant held.
public struct SimulationReport: Sendable, CustomStringConvertible {
    /// Counts of puts.
    public struct Puts: Sendable, Equatable {
        public var started = 0
        public var acknowledged = 0
        /// Acknowledged without a transfer (every replica already stored).
        public var deduplicated = 0
        /// Failures by reason.
        public var failed: [String: Int] = [:]
        /// Put Proposals sent beyond the first of each put.
        public var retransmittedProposals = 0
        /// In flight at a client that crashed.
        public var abandoned = 0
        /// Chunk bytes of acknowledged puts that needed a transfer.
        public var acknowledgedBytes: UInt64 = 0
        /// Latency of acknowledged puts (start to acknowledgement): median and 99th percentile.
        public var medianLatency: Duration = .zero
        public var p99Latency: Duration = .zero
    }

    /// Counts of gets.
    public struct Gets: Sendable, Equatable {
        public var started = 0
        public var succeeded = 0
        public var immediate = 0
        public var failed: [String: Int] = [:]
        /// Get Requests sent beyond the first of each get.
        public var retransmittedRequests = 0
        /// In flight at a client that crashed.
        public var abandoned = 0
    }

    /// What happened on the network.
    public struct Network: Sendable, Equatable {
        public var messages = 0
        public var datagrams = 0
        public var bytes: UInt64 = 0
        /// Datagrams lost at random.
        public var lossDrops = 0
        /// Datagrams dropped because a switch port's buffer was full.
        public var congestionDrops = 0
        /// Of those, datagrams of rendezvous transfers.
        public var transferCongestionDrops = 0
        /// Datagrams dropped because a sender's own queue was full.
        public var egressDrops = 0
        /// Datagrams cut by a partition.
        public var partitionDrops = 0
        /// Datagrams that reached a crashed node, or left with a sender's crash.
        public var crashDrops = 0
        /// Datagrams delivered twice.
        public var duplicated = 0
        /// Duplicate fragments the reassembly discarded.
        public var duplicatesDiscarded = 0
        /// Datagrams held back.
        public var reordered = 0
        /// Fragments discarded because another message in progress had the same id and type.
        public var foreignFragments = 0
        /// Messages dropped by reassembly for missing fragments.
        public var incompleteMessages = 0
        /// Largest backlog seen at any switch port, bytes.
        public var peakPortBacklog = 0
    }

    /// What the servers' disks did.
    public struct Disks: Sendable, Equatable {
        /// Writes failed with an I/O error.
        public var writeErrors = 0
        /// Writes failed because the store was full.
        public var fullWrites = 0
        /// Flushes that took a latency spike.
        public var slowFlushes = 0
        /// Disks filled up by something else.
        public var fills = 0
        /// Written chunks not yet flushed when their server crashed (lost).
        public var lostUnflushedWrites = 0
    }

    public var seed: UInt64
    public var servers: Int
    public var clients: Int
    public var transactions: Int
    public var faults: FaultConfiguration
    public var reservations: Bool
    /// The links, when they are not all the same (and known as they are): empty otherwise.
    public var links: String = ""
    /// The largest difference between two nodes' clocks at the start of the run.
    public var clockSkew: Duration = .zero
    /// The largest drift of a node's clock, parts per million either way.
    public var clockDrift: Double = 0

    /// Virtual time from the first transaction to the last.
    public var workloadTime: Duration = .zero
    public var puts = Puts()
    public var gets = Gets()
    public var network = Network()
    public var disks = Disks()
    /// Counters of every server, summed.
    public var serverStats = ServerStats()
    public var crashes = 0
    public var clientCrashes = 0
    public var partitions = 0
    /// Acknowledged chunks read back by the final verification.
    public var verified = 0
    /// Every broken invariant (empty for a good run).
    public var violations: [InvariantViolation] = []
    /// A digest of everything observable in the run: equal seeds give equal digests.
    public var digest: UInt64 = 0

    /// Whether every invariant held.
    public var passed: Bool { violations.isEmpty }

    /// Acknowledged put bytes per second of workload time.
    public var putThroughput: Double {
        let seconds = Double(workloadTime.nanoseconds) / 1e9
        return seconds > 0 ? Double(puts.acknowledgedBytes) / seconds : 0
    }

    public var description: String {
        func reasons(_ d: [String: Int]) -> String {
            d.isEmpty ? "" : " (" + d.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + ")"
        }
        let seconds = Double(workloadTime.nanoseconds) / 1e9
        let failedPuts = puts.failed.values.reduce(0, +), failedGets = gets.failed.values.reduce(0, +)
        var lines = [
            "seed \(seed): \(servers) servers, \(clients) clients, \(transactions) transactions, "
                + "loss \(faults.loss), duplicate \(faults.duplicate), reorder \(faults.reorder), "
                + "crashes \(faults.crashes), client crashes \(faults.clientCrashes), partitions \(faults.partitions), "
                + "reservations \(reservations ? "on" : "off")"
                + (faults.writeErrors + faults.slowFlushes > 0 || faults.diskFills > 0
                    ? ", write errors \(faults.writeErrors), slow flushes \(faults.slowFlushes), disk fills \(faults.diskFills)" : ""),
            "virtual time    \(fixed(seconds, 3)) s of workload",
        ]
        if !links.isEmpty { lines.append("links           \(links)") }
        if clockSkew > .zero || clockDrift > 0 {
            lines.append("clocks          skew \(fixed(Double(clockSkew.nanoseconds) / 1e3, 1)) µs between the farthest two at the start, "
                + "drift up to \(fixed(clockDrift, 1)) ppm")
        }
        lines += [
            "puts            \(puts.started) started, \(puts.acknowledged) acknowledged (\(puts.deduplicated) deduplicated), "
                + "\(failedPuts) failed\(reasons(puts.failed)), \(puts.abandoned) abandoned by crashed clients",
            "gets            \(gets.started) started, \(gets.succeeded) returned the chunk (\(gets.immediate) immediate), "
                + "\(failedGets) failed\(reasons(gets.failed)), \(gets.abandoned) abandoned by crashed clients",
            "put latency     median \(fixed(Double(puts.medianLatency.nanoseconds) / 1e6, 3)) ms, "
                + "p99 \(fixed(Double(puts.p99Latency.nanoseconds) / 1e6, 3)) ms",
            "retries         \(puts.retransmittedProposals) proposals, \(gets.retransmittedRequests) get requests retransmitted",
            "throughput      \(fixed(putThroughput / 1e6, 1)) MB/s of acknowledged puts",
            "network         \(network.messages) messages, \(network.datagrams) datagrams, \(network.bytes) bytes",
            "drops           \(network.congestionDrops) congestion (\(network.transferCongestionDrops) of transfers), "
                + "\(network.lossDrops) loss, \(network.egressDrops) egress, \(network.partitionDrops) partition, "
                + "\(network.crashDrops) crash",
            "faults          \(network.duplicated) duplicated, \(network.reordered) reordered, \(crashes) crashes, "
                + "\(clientCrashes) client crashes, \(partitions) partitions",
            "reassembly      \(network.duplicatesDiscarded) duplicate fragments discarded, "
                + "\(network.incompleteMessages) incomplete messages, peak port backlog \(network.peakPortBacklog) bytes",
            "disks           \(disks.writeErrors) write errors, \(disks.fullWrites) writes to a full store, "
                + "\(disks.slowFlushes) slow flushes, \(disks.fills) disks filled, "
                + "\(disks.lostUnflushedWrites) unflushed writes lost in crashes",
            "servers         \(serverStats.proposals) proposals, \(serverStats.acceptsOffered) rendezvous offered, "
                + "\(serverStats.notNow) not now, \(serverStats.chunksStored) stored, \(serverStats.naks) NAKs, "
                + "\(serverStats.incompleteTransfers) incomplete transfers, \(serverStats.duplicateRequests) replayed requests, "
                + "\(serverStats.expiredReservations) expired reservations, \(serverStats.declinedWindows) declined windows",
            "verification    \(verified) acknowledged chunks read back",
        ]
        for invariant in Invariant.allCases {
            let broken = violations.filter { $0.invariant == invariant }.count
            lines.append("invariant       \(invariant): " + (broken == 0 ? "held" : "FAILED (\(broken))"))
        }
        for v in violations.prefix(20) { lines.append("  \(v)") }
        if violations.count > 20 { lines.append("  … \(violations.count - 20) more") }
        lines.append("digest          \(String(digest, radix: 16))")
        lines.append(passed ? "result          PASS" : "result          FAIL")
        return lines.joined(separator: "\n")
    }
}

/// `value` with `digits` decimals (no Foundation).
func fixed(_ value: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = Int64((abs(value) * scale).rounded())
    let whole = scaled / Int64(scale), fraction = scaled % Int64(scale)
    var text = String(fraction)
    while text.count < digits { text = "0" + text }
    return (value < 0 && scaled != 0 ? "-" : "") + String(whole) + (digits > 0 ? "." + text : "")
}
