import Foundation
import Logging
import ReplicastCore
import ReplicastTransport
import ReplicastWire

/// A client of a Replicast cluster: puts and gets chunks through the protocol core
/// (`ClientCore`) over a transport, on the calling thread.
///
/// Blocking calls drive the event loop until their transactions complete; the batch calls
/// keep several transactions in flight to fill the pipe.
public final class ReplicastClient {
    public let id: NodeID
    public let cluster: ClusterConfiguration
    public let logger: Logger
    var core: ClientCore
    let channel: MessageChannel
    let transport: any DatagramTransport
    private var putOutcomes: [TransactionToken: PutOutcome] = [:]
    private var getOutcomes: [TransactionToken: GetOutcome] = [:]
    private var locateOutcomes: [TransactionToken: LocateReport] = [:]

    /// Connects to the cluster described by `cluster` (no handshake: a client only needs the
    /// table and a transport).
    public convenience init(
        cluster: ClusterConfiguration, transport choice: TransportChoice = .udp, interface: String? = nil,
        id: NodeID? = nil, logger: Logger? = nil, tuning: (inout ClientConfiguration) -> Void = { _ in }
    ) throws {
        try self.init(
            cluster: cluster, transport: try choice.open(cluster: cluster, interface: interface, unicastPort: 0), id: id,
            logger: logger, tuning: tuning)
    }

    /// Connects over an already open transport.
    public init(
        cluster: ClusterConfiguration, transport: any DatagramTransport, id: NodeID? = nil,
        logger: Logger? = nil, tuning: (inout ClientConfiguration) -> Void = { _ in }
    ) throws {
        let id = id ?? NodeID(NodeID.firstClient.rawValue + UInt32.random(in: 1..<0x7FFF_FFFF))
        self.id = id
        self.cluster = cluster
        var log = logger ?? Logger(label: "replicast.client")
        log[metadataKey: "client"] = "\(id)"
        self.logger = log
        let table = try cluster.allocationTable()
        self.transport = transport
        var configuration = ClientConfiguration(id: id)
        configuration.replicas = cluster.replicas
        configuration.seed = UInt64(id.rawValue)
        configuration.firstSequence = UInt32.random(in: 1...UInt32.max)
        tuning(&configuration)
        self.core = ClientCore(configuration: configuration, table: table)
        self.channel = MessageChannel(selfID: id, transport: transport, table: table, logger: log)
    }

    deinit { transport.close() }

    /// Bytes and datagrams this client's transport sent and received.
    public var transportCounters: TransportCounters { transport.counters }

    /// Allocates a buffer that chunk bytes can be sent from without a copy.
    public func allocate(count: Int) throws -> PayloadBuffer {
        try transport.allocate(count: count)
    }

    // MARK: - Chunks

    /// Puts one chunk and waits for the outcome.
    public func putChunk(
        _ payload: Payload, name: ChunkName? = nil, replicas: Int? = nil, consensus: ConsensusMode? = nil
    ) throws(PutError) -> PutReceipt {
        let hash = ContentHash.of(payload)
        let token = core.put(payload, contentHash: hash, name: name, replicas: replicas, consensus: consensus, now: WallClock.now())
        let outcome = waitPut(token)
        return try outcome.result.get()
    }

    /// Puts `count` chunks, produced on demand by `chunk(i)`, with up to `window` in flight;
    /// returns outcomes in input order. Only the chunks in flight are held in memory.
    public func putChunks(
        count: Int, replicas: Int? = nil, consensus: ConsensusMode? = nil, window: Int = 4,
        chunk: (Int) throws -> Payload, progress: (Int) -> Void = { _ in }
    ) rethrows -> [Result<PutReceipt, PutError>] {
        var tokens: [TransactionToken] = []
        var results: [TransactionToken: Result<PutReceipt, PutError>] = [:]
        var done = 0
        while done < count {
            while tokens.count < count && tokens.count - done < window {
                let payload = try chunk(tokens.count)
                let hash = ContentHash.of(payload)
                tokens.append(core.put(payload, contentHash: hash, replicas: replicas, consensus: consensus, now: WallClock.now()))
            }
            perform(now: WallClock.now())
            step()
            for (token, outcome) in putOutcomes { results[token] = outcome.result }
            putOutcomes.removeAll()
            let newDone = tokens.filter { results[$0] != nil }.count
            if newDone != done {
                done = newDone
                progress(done)
            }
        }
        return tokens.map { results[$0]! }
    }

    /// Gets one chunk (by content hash, or the newest version of a name) and waits.
    public func getChunk(_ target: GetTarget, consensus: ConsensusMode? = nil) throws(GetError) -> GetReceipt {
        let token = core.get(target, consensus: consensus, now: WallClock.now())
        return try waitGet(token).result.get()
    }

    /// Gets chunks by content hash with up to `window` in flight; results in input order.
    public func getChunks(
        _ hashes: [HashID], consensus: ConsensusMode? = nil, window: Int = 4,
        each: (Int, GetReceipt) throws -> Void = { _, _ in }, progress: (Int) -> Void = { _ in }
    ) rethrows -> [Result<GetReceipt, GetError>] {
        var tokens: [TransactionToken] = []
        var results: [TransactionToken: Result<GetReceipt, GetError>] = [:]
        var next = 0
        var done = 0
        while done < hashes.count {
            while next < hashes.count && tokens.count - done < window {
                tokens.append(core.get(.content(hashes[next]), consensus: consensus, now: WallClock.now()))
                next += 1
            }
            perform(now: WallClock.now())
            step()
            for (token, outcome) in getOutcomes {
                results[token] = outcome.result
                if case .success(let receipt) = outcome.result, let i = tokens.firstIndex(of: token) {
                    try each(i, receipt)
                    results[token] = .success(GetReceipt(
                        contentHash: receipt.contentHash, name: receipt.name, payload: .empty, server: receipt.server,
                        volunteers: receipt.volunteers, immediate: receipt.immediate))
                }
            }
            getOutcomes.removeAll()
            let newDone = tokens.filter { results[$0] != nil }.count
            if newDone != done {
                done = newDone
                progress(done)
            }
        }
        return tokens.map { results[$0]! }
    }

    /// Which servers of its row (the row of `row`, else of `hash`) say they hold `hash`.
    public func locate(_ hash: HashID, row: HashID? = nil) -> LocateReport {
        let token = core.locate(hash, rowKey: row, now: WallClock.now())
        perform(now: WallClock.now())
        while locateOutcomes[token] == nil { step() }
        return locateOutcomes.removeValue(forKey: token)!
    }

    // MARK: - Event loop

    private func waitPut(_ token: TransactionToken) -> PutOutcome {
        perform(now: WallClock.now())
        while putOutcomes[token] == nil { step() }
        return putOutcomes.removeValue(forKey: token)!
    }

    private func waitGet(_ token: TransactionToken) -> GetOutcome {
        perform(now: WallClock.now())
        while getOutcomes[token] == nil { step() }
        return getOutcomes.removeValue(forKey: token)!
    }

    /// One turn of the loop: timers, paced sends, then wait for datagrams until the next
    /// deadline. Once the transport has failed for good, every transaction ends at once with
    /// that failure.
    func step() {
        var now = WallClock.now()
        if let d = core.nextDeadline, d <= now {
            core.handleTimeout(now: now)
            perform(now: now)
        }
        let pacedDue = channel.pump(now: now)
        now = WallClock.now()
        let deadlines = [core.nextDeadline, pacedDue, now + .milliseconds(100)].compactMap { $0 }
        let wait = max(.zero, deadlines.min()! - now)
        if wait < .milliseconds(1) && pacedDue != nil {
            WallClock.sleep(wait)
            channel.receive(timeout: .zero, now: WallClock.now) { handle($0) }
        } else {
            channel.receive(timeout: wait, now: WallClock.now) { handle($0) }
        }
        _ = channel.expire(now: WallClock.now())
        if let failure = channel.failure, core.inFlight > 0 {
            core.abandonAll(transportFailure: "\(failure)")
            perform(now: WallClock.now())
        }
    }

    private func handle(_ inbound: Inbound) {
        let now = WallClock.now()
        core.handle(inbound, now: now)
        perform(now: now)
    }

    func perform(now: Instant) {
        for action in core.pollActions() {
            switch action {
            case .send(let out): channel.send(out, now: now)
            case .join(let g):
                do { try transport.join(g) } catch { channel.noteFailure(error, "join \(g)") }
            case .leave(let g):
                do { try transport.leave(g) } catch { channel.noteFailure(error, "leave \(g)") }
            case .putCompleted(let o): putOutcomes[o.token] = o
            case .getCompleted(let o): getOutcomes[o.token] = o
            case .locateCompleted(let token, let report): locateOutcomes[token] = report
            case .store, .load: break
            }
        }
    }
}
