import Foundation
import Logging
import ReplicastCore
import ReplicastDriver
import ReplicastStore
import ReplicastTransport
import ReplicastVerbs
import ReplicastWire
import Synchronization

/// A storage server: the protocol core (`ServerCore`) in a `ProtocolDriver`, moved over a
/// transport by a `TransportLoop`, with a chunk store behind a worker thread.
///
/// The loop: hand store completions to the core, then one turn of the transport loop
/// (timers, reassembly expiry, paced datagrams, waiting for datagrams until the driver's
/// next deadline); the core's storage requests go to the worker.
public final class StorageNode: @unchecked Sendable {
    public let id: NodeID
    public let logger: Logger
    private let loop: TransportLoop<ServerCore>
    private var driver: ProtocolDriver<ServerCore> { loop.driver }
    private let transport: any DatagramTransport
    private let worker: StoreWorker
    private let stopping = Atomic<Bool>(false)
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)
    private let statsBox = Mutex(ServerStats())
    private let driverStatsBox = Mutex(DriverStats())
    private let failureBox = Mutex<TransportError?>(nil)
    /// The keep-alive view, published by the loop (StorageNode+Membership.swift).
    let membershipBox = Mutex<Membership?>(nil)

    /// Opens the node's store and transport and joins the Negotiating Groups of its rows.
    public init(
        id: NodeID, cluster: ClusterConfiguration, transport choice: TransportChoice = .udp,
        logger: Logger? = nil, tuning: (inout ServerConfiguration) -> Void = { _ in }
    ) throws {
        guard let entry = cluster.server(id) else { throw ConfigurationError("server \(id) is not in the cluster file") }
        self.id = id
        var log = logger ?? Logger(label: "replicast.node.\(id.rawValue)")
        log[metadataKey: "node"] = "\(id)"
        self.logger = log
        let table = try cluster.allocationTable()
        let store = try ChunkStore(directory: .init(entry.dataDirectory), quotaBytes: entry.quotaBytes)
        guard let endpoint = Endpoint(entry.endpoint), let ip = entry.endpoint.split(separator: ":").first else {
            throw ConfigurationError("server \(id) has an invalid endpoint '\(entry.endpoint)' (want a.b.c.d:port)")
        }
        let transport = try choice.open(
            cluster: cluster, interface: String(ip), unicastPort: UInt16(truncatingIfNeeded: endpoint.selector))
        self.transport = transport

        var catalog = ChunkCatalog()
        for chunk in store.allChunks() {
            let designated = chunk.role == .designated
            catalog.add(chunk.hash, length: UInt64(chunk.length), designated: designated, name: nil)
            for name in chunk.names { catalog.add(chunk.hash, length: UInt64(chunk.length), designated: designated, name: name) }
        }
        let link = try cluster.nodeLink(server: id) { LinkRate.detect(transport: transport, address: String(ip)) }
        var configuration = ServerConfiguration(id: id)
        configuration.allocation = link.allocation
        configuration.windowSlack = LinkRate.windowSlack(reservedInbound: link.allocation.reservedInbound)
        configuration.volunteer = entry.volunteer
        configuration.firstSequence = UInt32.random(in: 1...UInt32.max)
        configuration.membership = StorageNode.defaultMembership()  // keep-alive (StorageNode+Membership.swift)
        tuning(&configuration)
        let core = ServerCore(
            configuration: configuration, table: table, catalog: catalog, freeBytes: UInt64(max(0, store.freeBytes)))
        let driver = ProtocolDriver(
            core: core, maxDatagramSize: transport.maxDatagramSize, limits: ReassemblyLimits(timeout: .seconds(1)),
            logger: log)
        driver.egressLimit = configuration.reservedOutboundRate
        self.loop = TransportLoop(driver: driver, transport: transport, logger: log)
        let waker = Waker(transport)
        self.worker = StoreWorker(store: store, wake: { waker.wake() })
        let joined = try loop.joinInitialGroups()
        log.info("node \(id) up: \(store.allChunks().count) chunks, \(joined) negotiating groups, endpoint \(transport.localEndpoint), \(link.summary)")
    }

    /// The server's counters so far.
    public var stats: ServerStats { statsBox.withLock { $0 } }

    /// The driver's counters so far: messages and datagrams in and out, undecodable
    /// datagrams dropped, incomplete messages.
    public var driverStats: DriverStats { driverStatsBox.withLock { $0 } }

    /// Why the loop stopped by itself: the transport failed for good (its RDMA device was
    /// removed, say). Nil while it runs, and after a `stop()`.
    public var failure: TransportError? { failureBox.withLock { $0 } }

    /// Chunks the node holds.
    public var chunkCount: Int { worker.store.allChunks().count }

    /// The node's store (for tests and tools).
    public var store: ChunkStore { worker.store }

    /// The transport's counters.
    public var transportCounters: TransportCounters { transport.counters }

    /// Runs the loop on a new thread.
    public func start() {
        // The thread holds the node only while its loop runs: once `stop()` returns, the
        // node's last owner releases it (and its store's directory lock) at once.
        let finished = self.finished
        let t = Thread { [weak self] in
            self?.run()
            finished.signal()
        }
        t.name = "replicast-node-\(id.rawValue)"
        thread = t
        t.start()
    }

    /// Asks the loop to stop; returns once it has finished (queued writes complete first).
    public func stop() {
        requestStop()
        if thread != nil {
            finished.wait()
            thread = nil
        }
    }

    /// Asks the loop to stop without waiting (safe from a signal-handling thread).
    public func requestStop() {
        stopping.store(true, ordering: .releasing)
        transport.wake()
    }

    /// The core the loop's thread is pinned to (nil: not pinned). The loop is the node's
    /// completion poller: on verbs it busy-polls its completion queue while busy.
    public var pinnedCore: Int?

    /// Runs the event loop on the calling thread until `stop()`, or until the transport fails
    /// for good (`failure` then says why). Either way the store's queued writes complete and
    /// the transport is closed before it returns.
    public func run() {
        if let core = pinnedCore {
            #if os(Linux)
            do {
                try VerbsTransport.pinCurrentThread(toCore: core)
                logger.info("node \(id) loop pinned to core \(core)")
            } catch {
                logger.warning("cannot pin the loop to core \(core): \(error)")
            }
            #else
            logger.warning("pinning to a core is Linux only; core \(core) ignored")
            #endif
        }
        worker.start()
        defer {
            worker.stop()
            drainCompletions(now: WallClock.now())
            transport.close()
            let c = driver.stats
            let s = driver.core.stats
            logger.info("node \(id) stopped: \(c.messagesReceived) messages in, \(c.messagesSent) out, \(c.transfersSent) transfers sent, \(c.decodeErrors) undecodable datagrams, \(loop.sendErrors) send errors, \(s.proposals) proposals, \(s.acceptsOffered) offers, \(s.chunksStored) stored, \(s.declinedWindows) declined windows, \(s.notNow) not now, \(s.alreadyStored) already stored, \(s.expiredReservations) expired reservations, \(s.leftNotListed) left unlisted, \(s.naks) NAKs, \(s.incompleteTransfers) incomplete transfers NAKed, inbound offers capped at \(LinkRate.describe(bytesPerSecond: driver.core.inboundRateCap))")
        }
        while !stopping.load(ordering: .acquiring) {
            if let failure = loop.failure {
                logger.critical("node \(id) stops: its transport failed for good: \(failure)")
                failureBox.withLock { $0 = failure }
                return
            }
            drainCompletions(now: WallClock.now())
            loop.turn(handle: carryOut)
            // Published before the loop waits again, so a reply never outruns the counters.
            statsBox.withLock { $0 = driver.core.stats }
            driverStatsBox.withLock { $0 = driver.stats }
            publishMembership(driver)
        }
    }

    private func drainCompletions(now: Instant) {
        let completions = worker.drain()
        guard !completions.isEmpty else { return }
        let freeBytes = UInt64(max(0, worker.store.freeBytes))
        loop.withCore(now: now, handle: carryOut) { core in
            for c in completions {
                switch c {
                case .stored(let token, let result): core.storeCompleted(token: token, result: result, now: now)
                case .loaded(let token, let result): core.loadCompleted(token: token, result: result, now: now)
                }
            }
            core.updateFreeBytes(freeBytes)
        }
    }

    /// Carries out a storage request of the core.
    private func carryOut(_ request: StorageRequest) {
        switch request {
        case .store(let request):
            worker.submitStore(request)
        case .load(let request):
            do {
                worker.submitLoad(request, into: try transport.allocate(count: Int(request.length)))
            } catch {
                logger.warning("cannot allocate \(request.length) bytes: \(error)")
                let now = WallClock.now()
                loop.withCore(now: now, handle: carryOut) { $0.loadCompleted(token: request.token, result: .failure(.ioError), now: now) }
            }
        }
    }
}

/// Lets another thread wake a transport's blocked receive (`wake()` is the one
/// thread-safe call of a transport).
final class Waker: @unchecked Sendable {
    private weak var transport: (any DatagramTransport)?
    init(_ transport: any DatagramTransport) { self.transport = transport }
    func wake() { transport?.wake() }
}
