import Foundation
import Logging
import ReplicastCore
import ReplicastStore
import ReplicastTransport
import ReplicastVerbs
import ReplicastWire
import Synchronization

/// A storage server: the protocol core (`ServerCore`) driven by an event loop over a
/// transport, with a chunk store behind a worker thread.
///
/// The loop: hand store completions to the core, fire due timers, expire stalled
/// reassemblies (NAK), send paced transfer fragments that are due, then wait for
/// datagrams until the next deadline.
public final class StorageNode: @unchecked Sendable {
    public let id: NodeID
    public let logger: Logger
    private var core: ServerCore
    private let channel: MessageChannel
    private let transport: any DatagramTransport
    private let worker: StoreWorker
    private let stopping = Atomic<Bool>(false)
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)
    private let statsBox = Mutex(ServerStats())
    private let failureBox = Mutex<TransportError?>(nil)
    private let reassemblyTimeout: Duration

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
        var configuration = ServerConfiguration(id: id)
        configuration.volunteer = entry.volunteer
        configuration.firstSequence = UInt32.random(in: 1...UInt32.max)
        tuning(&configuration)
        self.reassemblyTimeout = .seconds(1)
        self.core = ServerCore(
            configuration: configuration, table: table, catalog: catalog, freeBytes: UInt64(max(0, store.freeBytes)))
        self.channel = MessageChannel(
            selfID: id, transport: transport, table: table, logger: log,
            limits: ReassemblyLimits(timeout: reassemblyTimeout))
        let waker = Waker(transport)
        self.worker = StoreWorker(store: store, wake: { waker.wake() })

        var joined = Set<GroupAddress>()
        for row in table.rows(containing: id) {
            guard let address = table.row(row)?.addresses.negotiating.first, joined.insert(address).inserted else { continue }
            try transport.join(address)
        }
        log.info("node \(id) up: \(store.allChunks().count) chunks, \(joined.count) negotiating groups, endpoint \(transport.localEndpoint)")
    }

    /// The server's counters so far.
    public var stats: ServerStats { statsBox.withLock { $0 } }

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
        let t = Thread { [self] in
            run()
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
            let c = channel.stats
            logger.info("node \(id) stopped: \(c.messagesReceived) messages in, \(c.messagesSent) out, \(c.transfersSent) transfers sent, \(c.decodeErrors) undecodable datagrams, \(c.sendErrors) send errors")
        }
        while !stopping.load(ordering: .acquiring) {
            if let failure = channel.failure {
                logger.critical("node \(id) stops: its transport failed for good: \(failure)")
                failureBox.withLock { $0 = failure }
                return
            }
            var now = WallClock.now()
            drainCompletions(now: now)
            if let d = core.nextDeadline, d <= now {
                core.handleTimeout(now: now)
                perform(now: now)
            }
            for incomplete in channel.expire(now: now) where incomplete.type.isTransfer {
                logger.debug("transfer \(incomplete.id) incomplete: \(incomplete.receivedFragments)/\(incomplete.totalFragments) fragments")
                core.transferIncomplete(incomplete.id, now: now)
                perform(now: now)
            }
            let pacedDue = channel.pump(now: now)
            now = WallClock.now()
            let deadlines = [core.nextDeadline, pacedDue, now + reassemblyTimeout].compactMap { $0 }
            let wait = max(.zero, deadlines.min()! - now)
            if wait < .milliseconds(1) && pacedDue != nil {
                WallClock.sleep(wait)
                channel.receive(timeout: .zero, now: WallClock.now) { handle($0) }
            } else {
                channel.receive(timeout: wait, now: WallClock.now) { handle($0) }
            }
            statsBox.withLock { $0 = core.stats }
        }
    }

    private func handle(_ inbound: Inbound) {
        let now = WallClock.now()
        core.handle(inbound, now: now)
        perform(now: now)
        // Published before the loop waits again, so a reply never outruns the counters.
        statsBox.withLock { $0 = core.stats }
    }

    private func drainCompletions(now: Instant) {
        let completions = worker.drain()
        guard !completions.isEmpty else { return }
        for c in completions {
            switch c {
            case .stored(let token, let result): core.storeCompleted(token: token, result: result, now: now)
            case .loaded(let token, let result): core.loadCompleted(token: token, result: result, now: now)
            }
        }
        core.updateFreeBytes(UInt64(max(0, worker.store.freeBytes)))
        perform(now: now)
    }

    /// Carries out the core's actions.
    private func perform(now: Instant) {
        var actions = core.pollActions()
        while !actions.isEmpty {
            for action in actions { carryOut(action, now: now) }
            actions = core.pollActions()
        }
    }

    private func carryOut(_ action: Action, now: Instant) {
        switch action {
        case .send(let out):
            channel.send(out, now: now)
        case .join(let group):
            do { try transport.join(group) } catch { channel.noteFailure(error, "join \(group)") }
        case .leave(let group):
            do { try transport.leave(group) } catch { channel.noteFailure(error, "leave \(group)") }
        case .store(let request):
            worker.submitStore(request)
        case .load(let request):
            do {
                worker.submitLoad(request, into: try transport.allocate(count: Int(request.length)))
            } catch {
                logger.warning("cannot allocate \(request.length) bytes: \(error)")
                core.loadCompleted(token: request.token, result: .failure(.ioError), now: now)
            }
        case .putCompleted, .getCompleted, .locateCompleted:
            break
        }
    }
}

extension MessageType {
    /// Whether this type carries chunk bytes on reserved bandwidth.
    var isTransfer: Bool {
        self == .rendezvousTransfer || self == .rendezvousTransferArbitraryChunkID
    }
}

/// Lets another thread wake a transport's blocked receive (`wake()` is the one
/// thread-safe call of a transport).
final class Waker: @unchecked Sendable {
    private weak var transport: (any DatagramTransport)?
    init(_ transport: any DatagramTransport) { self.transport = transport }
    func wake() { transport?.wake() }
}
