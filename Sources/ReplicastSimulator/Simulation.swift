import ReplicastCore
import ReplicastDriver
import ReplicastTransport
import ReplicastWire

/// A deterministic simulation of a Replicast cluster: the real protocol cores (`ServerCore`,
/// `ClientCore`) in the real `ProtocolDriver` (fragmentation, reassembly, pacing, routing),
/// exchanging real datagrams over a virtual clock and a modelled network (per-link bandwidth, finite
/// switch buffers that drop on overflow, loss, duplication, reordering, partitions), with
/// server crashes and restarts that keep the stores, and client crashes that abandon
/// transactions mid-flight.
///
/// A run has three phases: the workload (clients put and get chunks while the faults
/// strike), recovery (faults stop, crashed servers restart, the cluster settles), and
/// verification (every acknowledged chunk is read back). Invariants are checked throughout,
/// and once every pending timer has fired, that the servers released all they held; the
/// report lists any violation. Every random choice comes from the configuration's seed,
/// so a seed reproduces its run exactly.
///
/// ```swift
/// var configuration = SimulationConfiguration(seed: 7)
/// configuration.faults.loss = 0.01
/// let report = try Simulation(configuration: configuration).run()
/// print(report)
/// ```
public final class Simulation {
    enum Phase { case workload, recovery, verification, finished }

    public let configuration: SimulationConfiguration
    let table: AllocationTable
    var servers: [SimulatedServer] = []
    /// The workload clients, then the verifier (which reads everything back at the end).
    var clients: [SimulatedClient] = []
    var events = EventQueue<SimulationEvent>()
    var now: Instant
    var phase = Phase.workload
    /// Members of each multicast group (Negotiating and Rendezvous), ascending.
    var groups: [GroupAddress: [NodeID]] = [:]
    /// The batch every driver fills with the datagrams it sends.
    var sendBatch = SendBatch()
    /// Servers cut off from the network, with the number of partitions holding them.
    var isolated: [NodeID: Int] = [:]
    /// The faults now in force (none during recovery and verification).
    var faults: FaultConfiguration
    /// What was put and acknowledged.
    var chunks = ChunkLedger()
    /// The invariant checkers, told of every observation.
    var checkers: [any InvariantChecker] = Simulation.standardCheckers()
    /// Every broken invariant the checkers found.
    var violations: [InvariantViolation] = []
    var report: SimulationReport
    var networkRandom: RandomSource
    var workloadRandom: RandomSource
    var faultRandom: RandomSource
    /// The disks' faults (write errors, slow flushes).
    var diskRandom: RandomSource
    var finishedTransactions = 0
    /// Crash and partition points, as counts of finished transactions.
    var crashPoints: [Int] = []
    var clientCrashPoints: [Int] = []
    var partitionPoints: [Int] = []
    var diskFillPoints: [Int] = []
    var workloadStart: Instant
    /// Acknowledged chunks the verifier has still to read.
    var verificationQueue: [HashID] = []
    /// Transactions (source and sequence) that have sent a Put Proposal or Get Request.
    var requesting: Set<RequestID> = []
    var digest = Digest()
    /// Start-to-acknowledgement times of acknowledged puts.
    var putLatencies: [Duration] = []
    /// Called with a line for every message delivered and every transaction finished (for
    /// following a failing seed).
    public var trace: ((String) -> Void)?

    /// Builds the cluster; throws if the table cannot be built from the configuration.
    public init(configuration: SimulationConfiguration) throws {
        self.configuration = configuration
        var random = RandomSource(seed: configuration.seed)
        networkRandom = random.fork()
        workloadRandom = random.fork()
        faultRandom = random.fork()
        let clientSeeds = random.fork()
        diskRandom = random.fork()
        var clockRandom = random.fork()
        faults = configuration.faults
        now = Instant(nanoseconds: 1_000_000_000)
        workloadStart = now
        report = SimulationReport(
            seed: configuration.seed, servers: configuration.servers, clients: configuration.clients,
            transactions: configuration.transactions, faults: configuration.faults,
            reservations: configuration.reservations)

        let infos = (0..<configuration.servers).map {
            ServerInfo(id: NodeID(UInt32($0 + 1)), zone: "zone\($0 % 3)", endpoints: ["sim"])
        }
        table = try AllocationTable(servers: infos, configuration: configuration.table)

        // Each node's core is configured for the link it believes it has (a misconfigured
        // node's allocation overstates its real link).
        let links = configuration.links
        func allocation(_ node: NodeID, real: UInt64) -> BandwidthAllocation {
            BandwidthAllocation.split(
                bandwidth: links.believedBandwidth(of: node, real: real), reservedShare: configuration.reservedShare)
        }
        let epoch = now
        func clock(_ node: NodeID) -> NodeClock {
            let c = configuration.clocks
            let offset = c.offsets[node]
                ?? (c.maxOffset > .zero ? clockRandom.duration(in: (.zero - c.maxOffset)...c.maxOffset) : .zero)
            let drift = c.maxDrift > 0 ? (clockRandom.unit() * 2 - 1) * c.maxDrift : 0
            return NodeClock(offset: offset, drift: drift, epoch: epoch)
        }
        let clientIDs = (0..<configuration.clients).map { NodeID(NodeID.firstClient.rawValue + UInt32($0)) }
        for (i, info) in infos.enumerated() {
            let bandwidth = links.serverBandwidth(i)
            var c = ServerConfiguration(id: info.id)
            c.allocation = allocation(info.id, real: bandwidth)
            if configuration.indefiniteReservations {
                let rate = c.allocation.reservedInbound / UInt64(2 * max(configuration.clients, 1))
                for client in clientIDs { c.standingReservations[client] = rate }
            }
            c.storageWriteRate = configuration.storage.writeRate
            c.reservations = configuration.reservations
            configuration.serverTuning(&c)
            servers.append(SimulatedServer(
                id: info.id, configuration: c, table: table, links: links, bandwidth: bandwidth, clock: clock(info.id),
                capacity: configuration.storage.capacity))
        }
        if !links.isUniform { report.links = Self.describe(links, servers: configuration.servers, clients: configuration.clients) }
        var seeds = clientSeeds
        let perClient = configuration.transactions / max(configuration.clients, 1)
        let extra = configuration.transactions - perClient * configuration.clients
        for i in 0...configuration.clients {
            let id = NodeID(NodeID.firstClient.rawValue + UInt32(i))
            let bandwidth = links.clientBandwidth(i)
            var c = ClientConfiguration(id: id)
            c.replicas = configuration.replicas
            c.allocation = allocation(id, real: bandwidth)
            c.seed = seeds.next()
            let isVerifier = i == configuration.clients
            if configuration.indefiniteReservations && !isVerifier {
                // Its share of the slowest server's standing reservations.
                let rate = (0..<configuration.servers).map {
                    allocation(infos[$0].id, real: links.serverBandwidth($0)).reservedInbound
                }.min().map { $0 / UInt64(2 * max(configuration.clients, 1)) } ?? 0
                c.standingReservation = StandingReservation(rate: rate, credit: configuration.standingCredit)
            }
            configuration.clientTuning(&c)
            let transactions = isVerifier ? 0 : perClient + (i < extra ? 1 : 0)
            clients.append(SimulatedClient(
                core: ClientCore(configuration: c, table: table), links: links, bandwidth: bandwidth, clock: clock(id),
                transactions: transactions, concurrency: isVerifier ? 8 : configuration.workload.concurrency,
                openLoop: configuration.workload.offeredRate != nil && !isVerifier))
        }
        let readings = (servers.map(\.attachment.clock) + clients.map(\.attachment.clock)).map { $0.reading(at: epoch) }
        if let first = readings.min(), let last = readings.max() { report.clockSkew = last - first }
        report.clockDrift = (servers.map(\.attachment.clock) + clients.map(\.attachment.clock)).map { abs($0.drift) }.max() ?? 0
        let t = configuration.transactions
        crashPoints = (0..<configuration.faults.crashes).map { (($0 + 1) * t) / (configuration.faults.crashes + 1) }
        clientCrashPoints = (0..<configuration.faults.clientCrashes).map {
            (($0 + 1) * t) / (configuration.faults.clientCrashes + 1)
        }
        diskFillPoints = (0..<configuration.faults.diskFills).map { (($0 + 1) * t) / (configuration.faults.diskFills + 1) }
        partitionPoints = (0..<configuration.faults.partitions).map { (($0 + 1) * t) / (configuration.faults.partitions + 1) }
    }

    /// Runs the simulation to its end and reports what happened.
    public func run() -> SimulationReport {
        startNodes()
        for client in clients.dropLast() {
            let start = now + workloadRandom.duration(in: .zero...configuration.workload.startSpread)
            schedule(.clientStart(client.id), at: start)
        }
        let limit = now + configuration.timeLimit
        if configuration.transactions == 0 { beginRecovery() }
        while phase != .finished, let (time, event) = events.pop() {
            guard time <= limit else {
                now = time
                tellCheckers { $0.runEnded(.timeLimitPassed(configuration.timeLimit), in: $1) }
                return finalReport()
            }
            now = time
            handle(event)
        }
        if phase == .finished {
            settle(limit: now + configuration.timeLimit)
            tellCheckers { $0.runEnded(.finished, in: $1) }
        } else {
            let stuck = clients.reduce(0) { $0 + $1.inFlight.count }
            tellCheckers { $0.runEnded(.stalled(inFlight: stuck, phase: "\(phase)"), in: $1) }
        }
        return finalReport()
    }

    /// Lets every pending event happen (no new work starts).
    private func settle(limit: Instant) {
        stopKeepAlive()  // membership: heartbeats would never let the run settle
        while let (time, event) = events.pop(), time <= limit {
            now = time
            handle(event)
        }
    }

    /// Watches every node's driver, and lets every server join its groups.
    func startNodes() {
        for s in servers {
            observe(s)
            settle(s)  // joins its Negotiating Groups
        }
        for c in clients { observe(c) }
    }

    func schedule(_ event: SimulationEvent, at time: Instant) {
        events.schedule(event, at: max(time, now))
    }

    func handle(_ event: SimulationEvent) {
        switch event {
        case .reachSwitch(let datagram): forward(datagram)
        case .arrive(let node, let datagram): arrive(datagram, at: node)
        case .timer(let node, let incarnation): timerFired(node, incarnation: incarnation)
        case .written(let node, let incarnation, let request): written(request, at: node, incarnation: incarnation)
        case .flushed(let node, let incarnation, let request): flushed(request, at: node, incarnation: incarnation)
        case .loaded(let node, let incarnation, let request): readFinished(request, at: node, incarnation: incarnation)
        case .clientStart(let node): clientStarts(client(node))
        case .arrival(let node): transactionArrives(client(node))
        case .restart(let node, let incarnation): restart(server(node), incarnation: incarnation)
        case .heal(let node): heal(node)
        case .clientCrash: crashClient()
        case .verify: beginVerification()
        }
    }

    /// The links of the servers and the workload clients, and the misconfigured nodes.
    static func describe(_ links: LinkConfiguration, servers: Int, clients: Int) -> String {
        func gbits(_ rate: UInt64) -> String { fixed(Double(rate) * 8 / 1e9, 2) }
        let s = (0..<servers).map { gbits(links.serverBandwidth($0)) }.joined(separator: "/")
        let c = (0..<clients).map { gbits(links.clientBandwidth($0)) }.joined(separator: "/")
        var text = "servers \(s) Gbit/s, clients \(c) Gbit/s"
        for (node, factor) in links.misconfigured.sorted(by: { $0.key < $1.key }) where factor != 1 {
            text += "; \(node) configured for \(fixed(factor, 2))× its link"
        }
        return text
    }

    // MARK: - Nodes

    func server(_ id: NodeID) -> SimulatedServer { servers[Int(id.rawValue) - 1] }

    func client(_ id: NodeID) -> SimulatedClient { clients[Int(id.rawValue - NodeID.firstClient.rawValue)] }

    func node(_ id: NodeID) -> any SimulatedNode { id.isClient ? client(id) : server(id) }

    /// Whether `id` names a node of the simulation.
    func exists(_ id: NodeID) -> Bool {
        id.isClient ? Int(id.rawValue - NodeID.firstClient.rawValue) < clients.count
            : id.rawValue >= 1 && Int(id.rawValue) <= servers.count
    }

    /// What `id`'s clock reads now: the time its core and driver are handed.
    func localNow(_ id: NodeID) -> Instant { node(id).attachment.clock.reading(at: now) }

    /// Makes sure a timer event is scheduled for `deadline`, an instant on the node's own
    /// clock (or earlier): at the true time its clock reaches it.
    func arm(_ id: NodeID, deadline: Instant?) {
        guard let deadline else { return }
        let n = node(id)
        let at = max(n.attachment.clock.trueTime(reading: deadline), now)
        if let scheduled = n.attachment.timerAt, scheduled <= at { return }
        n.attachment.timerAt = at
        schedule(.timer(id, incarnation: n.attachment.incarnation), at: at)
    }

    func timerFired(_ id: NodeID, incarnation: Int) {
        let n = node(id)
        guard n.attachment.incarnation == incarnation, n.attachment.timerAt == now else { return }
        n.attachment.timerAt = nil
        let local = localNow(id)
        if id.isClient {
            let c = client(id)
            c.driver.advance(to: local)
            settle(c)
        } else {
            let s = server(id)
            guard let driver = s.driver else { return }
            driver.advance(to: local)
            settle(s)
        }
        // A deadline the driver did not move on must not spin at the same instant.
        if n.attachment.timerAt == nil || n.attachment.timerAt! <= now {
            let d = id.isClient ? client(id).driver.nextDeadline : server(id).driver?.nextDeadline
            n.attachment.timerAt = nil
            if let d { arm(id, deadline: max(d, local + .nanoseconds(1000))) }
        }
    }

    // MARK: - Report

    private func finalReport() -> SimulationReport {
        for s in servers { if let driver = s.driver { tally(driver) } }
        for c in clients { tally(c.driver) }
        var r = report
        let latencies = putLatencies.sorted()
        if !latencies.isEmpty {
            r.puts.medianLatency = latencies[latencies.count / 2]
            r.puts.p99Latency = latencies[min(latencies.count - 1, latencies.count * 99 / 100)]
        }
        r.serverStats = servers.reduce(ServerStats()) { $0.adding($1.stats) }
        r.violations = violations
        let ports = servers.map(\.attachment.ingress.peakBacklog) + clients.map(\.attachment.ingress.peakBacklog)
        r.network.peakPortBacklog = ports.max() ?? 0
        digest.mix(UInt64(r.network.datagrams))
        digest.mix(UInt64(r.network.congestionDrops))
        digest.mix(UInt64(r.serverStats.chunksStored))
        digest.mix(UInt64(r.violations.count))
        r.digest = digest.value
        return r
    }
}

/// FNV-1a over 64-bit words: a cheap fingerprint of a run.
struct Digest {
    private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    mutating func mix(_ word: UInt64) {
        var w = word
        for _ in 0..<8 {
            value = (value ^ (w & 0xFF)) &* 0x0000_0100_0000_01B3
            w >>= 8
        }
    }
}
