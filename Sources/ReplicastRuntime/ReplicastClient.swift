import Foundation
import Logging
import ReplicastCore
import ReplicastDriver
import ReplicastTransport
import ReplicastWire

/// A client of a Replicast cluster: puts and gets chunks through the protocol core
/// (`ClientCore`) in a `ProtocolDriver`, moved over a transport by a `TransportLoop` on the
/// calling thread.
///
/// Blocking calls drive the event loop until their transactions complete; the batch calls
/// keep several transactions in flight to fill the pipe.
public final class ReplicastClient {
    public let id: NodeID
    public let cluster: ClusterConfiguration
    public let logger: Logger
    /// The client's link and the allocations split from it.
    public let link: NodeLink
    let loop: TransportLoop<ClientCore>
    let transport: any DatagramTransport
    private var putOutcomes: [TransactionToken: PutOutcome] = [:]
    private var getOutcomes: [TransactionToken: GetOutcome] = [:]
    private var locateOutcomes: [TransactionToken: LocateReport] = [:]

    /// The client's protocol core.
    var core: ClientCore { loop.driver.core }

    /// Connects to the cluster described by `cluster` (no handshake: a client only needs the
    /// table and a transport).
    public convenience init(
        cluster: ClusterConfiguration, transport choice: TransportChoice = .udp, interface: String? = nil,
        id: NodeID? = nil, linkRate: UInt64? = nil, logger: Logger? = nil,
        tuning: (inout ClientConfiguration) -> Void = { _ in }
    ) throws {
        let transport = try choice.open(cluster: cluster, interface: interface, unicastPort: 0)
        let link = try cluster.nodeLink(server: nil, rate: linkRate) {
            LinkRate.detect(transport: transport, address: interface ?? cluster.interface)
        }
        try self.init(cluster: cluster, transport: transport, id: id, link: link, logger: logger, tuning: tuning)
    }

    /// Connects over an already open transport.
    public init(
        cluster: ClusterConfiguration, transport: any DatagramTransport, id: NodeID? = nil, link: NodeLink? = nil,
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
        let link = try link ?? cluster.nodeLink(server: nil)
        self.link = link
        var configuration = ClientConfiguration(id: id)
        configuration.membership = ClientMembershipConfiguration()  // liveness view (docs/PROTOCOL.md § 15.4)
        configuration.allocation = link.allocation
        configuration.replicas = cluster.replicas
        configuration.seed = UInt64(id.rawValue)
        configuration.firstSequence = UInt32.random(in: 1...UInt32.max)
        tuning(&configuration)
        let driver = ProtocolDriver(
            core: ClientCore(configuration: configuration, table: table), maxDatagramSize: transport.maxDatagramSize,
            logger: log)
        driver.egressLimit = configuration.allocation.reservedOutbound
        self.loop = TransportLoop(driver: driver, transport: transport, logger: log)
        log.info("client \(id): \(link.summary)")
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
        let token = command { $0.put(payload, contentHash: hash, name: name, replicas: replicas, consensus: consensus, now: $1) }
        while putOutcomes[token] == nil { step() }
        return try putOutcomes.removeValue(forKey: token)!.result.get()
    }

    /// Puts `count` chunks, produced on demand by `chunk(i)`, with up to `window` in flight;
    /// returns outcomes in input order. Only the chunks in flight are held in memory.
    public func putChunks(
        count: Int, replicas: Int? = nil, consensus: ConsensusMode? = nil, window: Int = 4,
        chunk: (Int) throws -> Payload, progress: (Int) -> Void = { _ in }
    ) rethrows -> [Result<PutReceipt, PutError>] {
        try windowed(count: count, window: window, progress: progress) { i in
            let payload = try chunk(i)
            let hash = ContentHash.of(payload)
            return command { $0.put(payload, contentHash: hash, replicas: replicas, consensus: consensus, now: $1) }
        } outcome: { token in
            putOutcomes.removeValue(forKey: token).map(\.result)
        }
    }

    /// Gets one chunk (by content hash, or the newest version of a name) and waits.
    public func getChunk(_ target: GetTarget, consensus: ConsensusMode? = nil) throws(GetError) -> GetReceipt {
        let token = command { $0.get(target, consensus: consensus, now: $1) }
        while getOutcomes[token] == nil { step() }
        return try getOutcomes.removeValue(forKey: token)!.result.get()
    }

    /// Gets chunks by content hash with up to `window` in flight, hands each received chunk
    /// to `each` as it arrives, and returns the results in input order (receipts without
    /// their payloads, which `each` has had).
    public func getChunks(
        _ hashes: [HashID], consensus: ConsensusMode? = nil, window: Int = 4,
        each: (Int, GetReceipt) throws -> Void = { _, _ in }, progress: (Int) -> Void = { _ in }
    ) rethrows -> [Result<GetReceipt, GetError>] {
        var indices: [TransactionToken: Int] = [:]
        return try windowed(count: hashes.count, window: window, progress: progress) { i in
            let token = command { $0.get(.content(hashes[i]), consensus: consensus, now: $1) }
            indices[token] = i
            return token
        } outcome: { token throws -> Result<GetReceipt, GetError>? in
            guard let outcome = getOutcomes.removeValue(forKey: token) else { return nil }
            guard case .success(let receipt) = outcome.result else { return outcome.result }
            try each(indices[token]!, receipt)
            return .success(GetReceipt(
                contentHash: receipt.contentHash, name: receipt.name, payload: .empty, server: receipt.server,
                volunteers: receipt.volunteers, immediate: receipt.immediate))
        }
    }

    /// Which servers of its row (the row of `row`, else of `hash`) say they hold `hash`.
    public func locate(_ hash: HashID, row: HashID? = nil) -> LocateReport {
        let token = command { $0.locate(hash, rowKey: row, now: $1) }
        while locateOutcomes[token] == nil { step() }
        return locateOutcomes.removeValue(forKey: token)!
    }

    // MARK: - Event loop

    /// Runs `count` transactions, started by `start(i)`, with up to `window` in flight, and
    /// returns their results in input order; `outcome(token)` takes a finished one's result.
    private func windowed<T>(
        count: Int, window: Int, progress: (Int) -> Void, start: (Int) throws -> TransactionToken,
        outcome: (TransactionToken) throws -> T?
    ) rethrows -> [T] {
        var tokens: [TransactionToken] = []
        var open: [TransactionToken] = []
        var results: [TransactionToken: T] = [:]
        while results.count < count {
            while tokens.count < count && open.count < window {
                let token = try start(tokens.count)
                tokens.append(token)
                open.append(token)
            }
            // An outcome may come in while another transaction starts: collect before waiting.
            let before = results.count
            for token in open {
                if let result = try outcome(token) { results[token] = result }
            }
            open.removeAll { results[$0] != nil }
            if results.count != before {
                progress(results.count)
            } else {
                step()
            }
        }
        return tokens.map { results[$0]! }
    }

    /// Starts a transaction on the core at the current time and posts what it sends.
    private func command<R>(_ body: (inout ClientCore, Instant) -> R) -> R {
        let now = WallClock.now()
        return loop.withCore(now: now, handle: record) { body(&$0, now) }
    }

    /// One turn of the loop. Once the transport has failed for good, every transaction ends
    /// at once with that failure.
    func step() {
        // With nothing in flight there is nothing to wait for.
        loop.turn(maxWait: core.inFlight == 0 ? .zero : nil, handle: record)
        if let failure = loop.failure, core.inFlight > 0 {
            loop.withCore(now: WallClock.now(), handle: record) { $0.abandonAll(transportFailure: "\(failure)") }
        }
    }

    private func record(_ outcome: ClientOutcome) {
        switch outcome {
        case .put(let o): putOutcomes[o.token] = o
        case .get(let o): getOutcomes[o.token] = o
        case .locate(let token, let report): locateOutcomes[token] = report
        }
    }
}
