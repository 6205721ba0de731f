import ReplicastCore
import ReplicastWire

/// One `ClientCore` and the three `ServerCore`s of the one-row cluster (`OneRow`), wired in
/// memory and stepped on a virtual clock, in the manner of quinn-proto's `Pair`.
///
/// - Every message a core sends leaves at once (a paced Rendezvous Transfer at its window's
///   start) and reaches, `latency` later (a transfer also its window's length later), the
///   cores its target names: a Negotiating Group its row's members, a Rendezvous Group the
///   cores that joined it (joins and leaves are tracked), a node that node. A multicast never
///   comes back to its sender.
/// - Storage requests complete `storageLatency` later on an in-memory store per server, which
///   verifies the content hash as the real one does.
/// - `step`, `run(until:)` and `settle()` do what is due in time order: queued deliveries and
///   completions first, then the cores' `nextDeadline`s (the client's, then the servers' in
///   id order).
/// - Every message is written down when it leaves, in order: `transcript` reads
///   "from -> target: Type key fields"; `log` has the joins, leaves, storage, timeouts and
///   outcomes too.
/// - Faults are scripted: drop, duplicate or corrupt the next message of a type, fail a
///   server's next store or load, shrink a server's free space.
struct Quartet {
    /// A message type, as the transcript names it.
    enum Kind: String, Sendable, CaseIterable {
        case putProposal = "Put Proposal"
        case putAccept = "Put Accept"
        case consensusPutAccept = "Consensus Put Accept"
        case rendezvousTransfer = "Rendezvous Transfer"
        case payloadAck = "Payload ACK"
        case payloadNak = "Payload NAK"
        case relayedAck = "Relayed ACK"
        case consensusAck = "Consensus ACK"
        case getRequest = "Get Request"
        case getResponse = "Get Response"
        case getAccept = "Get Accept"
        case additionalTargetRequest = "Additional Target Request"
        case errorGetResponse = "Error Get Response"
        case contentNotImmediatelyAvailable = "Content Not Immediately Available"
        case transferAbort = "Transfer Abort"
        case staleGeneration = "Stale Generation"
        case heartbeat = "Heartbeat"
        case membershipQuery = "Membership Query"
        case membershipView = "Membership View"

        init(_ message: Message) {
            switch message {
            case .putProposal: self = .putProposal
            case .putAccept: self = .putAccept
            case .consensusPutAccept: self = .consensusPutAccept
            case .rendezvousTransfer: self = .rendezvousTransfer
            case .payloadAck: self = .payloadAck
            case .payloadNak: self = .payloadNak
            case .relayedAck: self = .relayedAck
            case .consensusAck: self = .consensusAck
            case .getRequest: self = .getRequest
            case .getResponse: self = .getResponse
            case .getAccept: self = .getAccept
            case .additionalTargetRequest: self = .additionalTargetRequest
            case .errorGetResponse: self = .errorGetResponse
            case .contentNotImmediatelyAvailable: self = .contentNotImmediatelyAvailable
            case .transferAbort: self = .transferAbort
            case .staleGeneration: self = .staleGeneration
            case .heartbeat: self = .heartbeat
            case .membershipQuery: self = .membershipQuery
            case .membershipView: self = .membershipView
            }
        }
    }

    /// A message that left a core.
    struct Sent {
        var time: Instant
        var from: NodeID
        var outbound: Outbound
        /// The cores it was routed to (before any fault).
        var receivers: [NodeID]
        /// Faults applied to it ("dropped to s2").
        var notes: [String]
    }

    /// The step limit of `run` and `settle` was reached: something keeps going (a deadline
    /// that does not move, messages that never stop).
    struct Stalled: Error, CustomStringConvertible {
        var steps: Int
        var lastLog: [String]
        var description: String { "still busy after \(steps) steps; last:\n" + lastLog.joined(separator: "\n") }
    }

    /// A server's chunks, in memory.
    struct MemoryStore {
        var capacity: UInt64
        private(set) var chunks: [HashID: Payload] = [:]

        init(capacity: UInt64) { self.capacity = capacity }

        var usedBytes: UInt64 { chunks.values.reduce(0) { $0 + UInt64($1.count) } }
        var freeBytes: UInt64 { capacity - min(capacity, usedBytes) }

        /// Verifies and keeps a chunk, as the real store does before the ACK.
        mutating func store(_ payload: Payload, as hash: HashID) -> Result<Void, StoreFailure> {
            guard ContentHash.verify(payload, matches: hash) else { return .failure(.hashMismatch) }
            if chunks[hash] != nil { return .success(()) }
            guard UInt64(payload.count) <= freeBytes else { return .failure(.full) }
            chunks[hash] = payload
            return .success(())
        }

        func load(_ request: LoadRequest) -> Result<Payload, StoreFailure> {
            chunks[request.contentHash].map { .success($0) } ?? .failure(.notFound)
        }
    }

    private enum Work {
        /// A paced message leaves its sender.
        case depart(NodeID, Outbound)
        case arrive(NodeID, Outbound)
        case store(NodeID, StoreRequest)
        case load(NodeID, LoadRequest)
    }

    private struct Event {
        var time: Instant
        var order: Int
        var work: Work
    }

    private enum MessageFault {
        case drop
        case duplicate(after: Duration)
        case corrupt
    }

    private struct PendingFault {
        var fault: MessageFault
        var kind: Kind
        var from: NodeID?
        var to: NodeID?
    }

    static let t0 = Instant(nanoseconds: 1_000_000_000)

    let table: AllocationTable
    private(set) var client: ClientCore
    private(set) var servers: [NodeID: ServerCore] = [:]
    private(set) var stores: [NodeID: MemoryStore] = [:]
    private(set) var now = Quartet.t0
    /// Messages in the order they left.
    private(set) var sent: [Sent] = []
    /// Every message, join, leave, storage request, timeout and outcome, in order.
    private(set) var log: [String] = []
    /// What the client reported, in order.
    private(set) var outcomes: [ClientOutcome] = []
    /// Who joined which group (Negotiating Groups included).
    private(set) var groups: [GroupAddress: Set<NodeID>] = [:]

    /// One-way delay of every message.
    var latency: Duration = .microseconds(100)
    /// How long a store or a load takes.
    var storageLatency: Duration = .microseconds(50)

    private var queue: [Event] = []
    private var order = 0
    private var messageFaults: [PendingFault] = []
    private var storeFaults: [NodeID: [StoreFailure]] = [:]
    private var loadFaults: [NodeID: [StoreFailure]] = [:]

    /// The client c1 and servers s1 to s3. `holding` preloads servers' stores (and so their
    /// catalogs); each store holds `capacity` bytes. The client's back-off is seeded with
    /// `seed`.
    init(
        seed: UInt64 = 7, capacity: UInt64 = 1 << 30, holding: [NodeID: [Payload]] = [:],
        client configureClient: (inout ClientConfiguration) -> Void = { _ in },
        servers configureServer: (inout ServerConfiguration) -> Void = { _ in }
    ) throws {
        table = try OneRow.table()
        var c = ClientConfiguration(id: OneRow.client)
        c.seed = seed
        configureClient(&c)
        client = ClientCore(configuration: c, table: table)
        for id in OneRow.servers {
            var store = MemoryStore(capacity: capacity)
            var catalog = ChunkCatalog()
            for chunk in holding[id] ?? [] {
                let hash = ContentHash.of(chunk)
                _ = store.store(chunk, as: hash)
                catalog.add(hash, length: UInt64(chunk.count), designated: true)
            }
            var s = ServerConfiguration(id: id)
            configureServer(&s)
            stores[id] = store
            servers[id] = ServerCore(configuration: s, table: table, catalog: catalog, freeBytes: store.freeBytes)
        }
        for id in OneRow.servers { perform(servers[id]!.pollActions(), of: id) }
    }

    // MARK: - The client's requests

    /// `count` bytes of `byte`: a chunk of its own for each byte value.
    static func chunk(_ byte: UInt8, count: Int = 10_000) -> Payload {
        Payload(copying: [UInt8](repeating: byte, count: count))
    }

    /// The client starts a put of `payload` now (a named chunk with `name`).
    @discardableResult
    mutating func put(
        _ payload: Payload, name: ChunkName? = nil, replicas: Int? = nil, consensus: ConsensusMode? = nil
    ) -> TransactionToken {
        let token = client.put(
            payload, contentHash: ContentHash.of(payload), name: name, replicas: replicas, consensus: consensus, now: now)
        performClient()
        return token
    }

    /// The client starts a get of `payload`'s chunk now.
    @discardableResult
    mutating func get(_ payload: Payload, consensus: ConsensusMode? = nil) -> TransactionToken {
        get(.content(ContentHash.of(payload)), consensus: consensus)
    }

    @discardableResult
    mutating func get(_ target: GetTarget, consensus: ConsensusMode? = nil) -> TransactionToken {
        let token = client.get(target, consensus: consensus, now: now)
        performClient()
        return token
    }

    /// The client starts a locate probe of `payload`'s chunk now.
    @discardableResult
    mutating func locate(_ payload: Payload) -> TransactionToken {
        let token = client.locate(ContentHash.of(payload), now: now)
        performClient()
        return token
    }

    /// What locate probe `token` found, if it has ended.
    func locateResult(_ token: TransactionToken) -> LocateReport? {
        for case .locate(let t, let report) in outcomes where t == token { return report }
        return nil
    }

    /// How put `token` ended, if it has.
    func putResult(_ token: TransactionToken) -> Result<PutReceipt, PutError>? {
        for case .put(let o) in outcomes where o.token == token { return o.result }
        return nil
    }

    /// How get `token` ended, if it has.
    func getResult(_ token: TransactionToken) -> Result<GetReceipt, GetError>? {
        for case .get(let o) in outcomes where o.token == token { return o.result }
        return nil
    }

    func server(_ id: NodeID) -> ServerCore { servers[id]! }

    // MARK: - Faults

    /// The next `kind` message (from `from`, if given) is lost: to every receiver, or only
    /// to `to`.
    mutating func dropNext(_ kind: Kind, from: NodeID? = nil, to: NodeID? = nil) {
        messageFaults.append(PendingFault(fault: .drop, kind: kind, from: from, to: to))
    }

    /// The next `kind` message (from `from`, if given) arrives twice, the second copy `after`
    /// the first: at every receiver, or only at `to`.
    mutating func duplicateNext(_ kind: Kind, from: NodeID? = nil, to: NodeID? = nil, after: Duration = .zero) {
        messageFaults.append(PendingFault(fault: .duplicate(after: after), kind: kind, from: from, to: to))
    }

    /// The next `kind` message (from `from`, if given) arrives with the last byte of its
    /// bulk content flipped (a transfer's chunk, a Get Response's or Put Proposal's immediate
    /// content): at every receiver, or only at `to`.
    mutating func corruptNext(_ kind: Kind, from: NodeID? = nil, to: NodeID? = nil) {
        messageFaults.append(PendingFault(fault: .corrupt, kind: kind, from: from, to: to))
    }

    /// `server`'s next store request fails with `failure` (whatever it carries).
    mutating func failNextStore(on server: NodeID, with failure: StoreFailure) {
        storeFaults[server, default: []].append(failure)
    }

    /// `server`'s next load request fails with `failure`.
    mutating func failNextLoad(on server: NodeID, with failure: StoreFailure) {
        loadFaults[server, default: []].append(failure)
    }

    /// `server`'s store has `bytes` free from now on, and its core is told so.
    mutating func setFreeBytes(_ bytes: UInt64, on server: NodeID) {
        stores[server]!.capacity = stores[server]!.usedBytes + bytes
        servers[server]!.updateFreeBytes(stores[server]!.freeBytes)
        note("\(server) has \(bytes) bytes free")
    }

    // MARK: - Transcript

    /// The messages sent so far, one line each in the order they left:
    /// "c1 -> NG: Put Proposal c1#1.0 (client, 3 replicas)". With `ids`, each line starts
    /// with the message's own id.
    func transcript(ids: Bool = false) -> [String] {
        sent.map { s in
            let notes = s.notes.isEmpty ? "" : " [" + s.notes.joined(separator: "; ") + "]"
            let line = "\(s.from) -> \(name(of: s.outbound.target)): \(Self.describe(s.outbound))\(notes)"
            return ids ? "\(s.outbound.id) \(line)" : line
        }
    }

    var transcript: [String] { transcript() }

    /// The first message whose transcript line is `line`: when it left, whom it was routed to.
    func message(_ line: String) -> Sent? {
        zip(sent, transcript()).first { $0.1 == line }?.0
    }

    /// Forgets the messages and the log so far (what a test set up before the part it reads).
    mutating func clearTranscript() {
        sent.removeAll()
        log.removeAll()
    }

    /// The message's type and key fields: the transaction it belongs to (the id of its
    /// proposal or request) and what it says.
    static func describe(_ out: Outbound) -> String {
        let kind = Kind(out.message).rawValue
        switch out.message {
        case .putProposal(let m):
            let immediate = m.immediate.isEmpty ? "" : ", immediate"
            return "\(kind) \(out.id) (\(m.consensus), \(m.replicas) replicas\(immediate))"
        case .putAccept(let m):
            switch m.answer {
            case .proposedRendezvous: return "\(kind) \(m.proposal): rendezvous"
            case .alreadyStored: return "\(kind) \(m.proposal): already stored"
            case .notNow: return "\(kind) \(m.proposal): not now"
            }
        case .consensusPutAccept(let m):
            let stored = m.alreadyStored.isEmpty ? "" : ", already stored \(list(m.alreadyStored))"
            return "\(kind) \(m.proposal): \(list(m.members))\(stored)"
        case .rendezvousTransfer(let m):
            return "\(kind) \(m.request) to \(list(m.members))"
        case .payloadAck(let m):
            return "\(kind) \(m.proposal)"
        case .payloadNak(let m):
            return "\(kind) \(m.proposal): \(m.code)"
        case .relayedAck(let m):
            return "\(kind) \(m.proposal): stored on \(list(m.storedOn))"
        case .consensusAck(let m):
            return "\(kind) \(m.proposal): stored on \(list(m.storedOn))"
        case .getRequest(let m):
            return "\(kind) \(out.id) (\(m.consensus))"
        case .getResponse(let m):
            return m.immediate.count == Int(m.contentLength) && m.contentLength > 0
                ? "\(kind) \(m.request): immediate" : "\(kind) \(m.request): offer"
        case .getAccept(let m):
            return "\(kind) \(m.request): \(m.server)"
        case .additionalTargetRequest(let m):
            return "\(kind) \(m.request)"
        case .errorGetResponse(let m):
            return "\(kind) \(m.request): \(m.code)"
        case .contentNotImmediatelyAvailable(let m):
            return "\(kind) \(m.request)"
        case .transferAbort(let m):
            return "\(kind) \(m.request): \(m.reason)"
        case .staleGeneration(let m):
            return "\(kind) \(m.request): generation \(m.currentGeneration)"
        case .heartbeat(let m):
            return "\(kind) incarnation \(m.incarnation): \(m.echoes.count) echoes"
        case .membershipQuery(let m):
            return "\(kind) to \(m.responder)"
        case .membershipView(let m):
            return "\(kind) \(m.request): down \(list(m.down.map(\.node)))"
        }
    }

    private static func list(_ nodes: [NodeID]) -> String {
        "[" + nodes.map(\.description).joined(separator: ", ") + "]"
    }

    /// "NG", "RG" or the node.
    private func name(of target: Target) -> String {
        switch target {
        case .negotiatingGroup: return "NG"
        case .group(let g): return name(of: g)
        case .node(let n): return n.description
        }
    }

    private func name(of group: GroupAddress) -> String {
        table.rows.contains { $0.addresses.negotiating.contains(group) } ? "NG" : "RG"
    }

    private mutating func note(_ line: String) {
        log.append("+\((now - Quartet.t0).nanoseconds / 1000)µs \(line)")
    }

    // MARK: - Stepping

    /// Rendezvous Groups that still have members (Negotiating Groups aside).
    var rendezvousGroups: [GroupAddress: Set<NodeID>] {
        groups.filter { name(of: $0.key) == "RG" }
    }

    /// The earliest queued event, by time then order.
    private var nextEvent: Int? {
        queue.indices.min { (queue[$0].time, queue[$0].order) < (queue[$1].time, queue[$1].order) }
    }

    /// The earliest deadline of a core: the client's first, then the servers' by id.
    private var nextTimer: (Instant, NodeID)? {
        var best: (Instant, NodeID)?
        for (id, deadline) in [(OneRow.client, client.nextDeadline)] + OneRow.servers.map({ ($0, servers[$0]!.nextDeadline) }) {
            guard let deadline else { continue }
            if best == nil || deadline < best!.0 { best = (deadline, id) }
        }
        return best
    }

    /// Does the next thing due no later than `limit` (anything, without a limit). False when
    /// nothing is.
    mutating func step(until limit: Instant? = nil) -> Bool {
        let event = nextEvent.map { (queue[$0].time, $0) }
        let timer = nextTimer
        if let (time, index) = event, timer == nil || time <= timer!.0 {
            if let limit, time > limit { return false }
            let e = queue.remove(at: index)
            now = max(now, e.time)
            handle(e.work)
            return true
        }
        guard let (deadline, id) = timer else { return false }
        if let limit, deadline > limit { return false }
        now = max(now, deadline)
        note("\(id) timeout")
        if id == OneRow.client {
            client.handleTimeout(now: now)
            performClient()
        } else {
            servers[id]!.handleTimeout(now: now)
            perform(servers[id]!.pollActions(), of: id)
        }
        return true
    }

    /// Does everything due until `limit`; the clock then reads `limit`.
    mutating func run(until limit: Instant, maxSteps: Int = 10_000) throws {
        var steps = 0
        while step(until: limit) {
            steps += 1
            if steps >= maxSteps { throw Stalled(steps: steps, lastLog: Array(log.suffix(20))) }
        }
        now = max(now, limit)
    }

    mutating func run(for duration: Duration, maxSteps: Int = 10_000) throws {
        try run(until: now + duration, maxSteps: maxSteps)
    }

    /// Does everything until no message is on its way and no core has a deadline.
    mutating func settle(maxSteps: Int = 10_000) throws {
        var steps = 0
        while step() {
            steps += 1
            if steps >= maxSteps { throw Stalled(steps: steps, lastLog: Array(log.suffix(20))) }
        }
    }

    private mutating func schedule(at time: Instant, _ work: Work) {
        order += 1
        queue.append(Event(time: time, order: order, work: work))
    }

    private mutating func handle(_ work: Work) {
        switch work {
        case .depart(let from, let out):
            depart(out, from: from)
        case .arrive(let to, let out):
            let inbound = Inbound(kind: out.kind, id: out.id, generation: table.generation, message: out.message)
            if to == OneRow.client {
                client.handle(inbound, now: now)
                performClient()
            } else {
                servers[to]!.handle(inbound, now: now)
                perform(servers[to]!.pollActions(), of: to)
            }
        case .store(let id, let request):
            let result: Result<Void, StoreFailure>
            if let failure = storeFaults[id]?.first {
                storeFaults[id]!.removeFirst()
                result = .failure(failure)
            } else {
                result = stores[id]!.store(request.payload, as: request.contentHash)
            }
            note("\(id) stored \(request.contentHash): \(result.summary)")
            servers[id]!.storeCompleted(token: request.token, result: result, now: now)
            servers[id]!.updateFreeBytes(stores[id]!.freeBytes)
            perform(servers[id]!.pollActions(), of: id)
        case .load(let id, let request):
            let result: Result<Payload, StoreFailure>
            if let failure = loadFaults[id]?.first {
                loadFaults[id]!.removeFirst()
                result = .failure(failure)
            } else {
                result = stores[id]!.load(request)
            }
            note("\(id) loaded \(request.contentHash): \(result.map { _ in () }.summary)")
            servers[id]!.loadCompleted(token: request.token, result: result, now: now)
            perform(servers[id]!.pollActions(), of: id)
        }
    }

    // MARK: - Carrying out actions

    private mutating func performClient() {
        for action in client.pollActions() {
            switch action {
            case .send(let out): send(out, from: OneRow.client)
            case .join(let g): join(g, OneRow.client)
            case .leave(let g): leave(g, OneRow.client)
            case .effect(let outcome):
                outcomes.append(outcome)
                note("c1 outcome: \(outcome)")
            }
        }
    }

    private mutating func perform(_ actions: [ServerAction], of id: NodeID) {
        for action in actions {
            switch action {
            case .send(let out): send(out, from: id)
            case .join(let g): join(g, id)
            case .leave(let g): leave(g, id)
            case .effect(.store(let request)):
                note("\(id) stores \(request.contentHash) (\(request.payload.count) bytes)")
                schedule(at: now + storageLatency, .store(id, request))
            case .effect(.load(let request)):
                note("\(id) loads \(request.contentHash)")
                schedule(at: now + storageLatency, .load(id, request))
            }
        }
    }

    private mutating func join(_ group: GroupAddress, _ id: NodeID) {
        note("\(id) joins \(name(of: group)) \(group)")
        groups[group, default: []].insert(id)
    }

    private mutating func leave(_ group: GroupAddress, _ id: NodeID) {
        note("\(id) leaves \(name(of: group)) \(group)")
        groups[group]?.remove(id)
        if groups[group]?.isEmpty == true { groups[group] = nil }
    }

    /// A message leaves now, or a paced one at its window's start.
    private mutating func send(_ out: Outbound, from sender: NodeID) {
        if let pacing = out.pacing, pacing.start > now {
            schedule(at: pacing.start, .depart(sender, out))
        } else {
            depart(out, from: sender)
        }
    }

    /// The cores `target` reaches from `sender` (never the sender itself), by id.
    func receivers(of target: Target, from sender: NodeID) -> [NodeID] {
        switch target {
        case .negotiatingGroup(let row):
            return table.members(of: row).filter { $0 != sender }.sorted()
        case .group(let g):
            return (groups[g] ?? []).filter { $0 != sender }.sorted()
        case .node(let n):
            return n != sender && (n == OneRow.client || servers[n] != nil) ? [n] : []
        }
    }

    private mutating func depart(_ out: Outbound, from sender: NodeID) {
        let receivers = self.receivers(of: out.target, from: sender)
        let kind = Kind(out.message)
        var notes: [String] = []
        // Copies per receiver: (extra delay, message).
        var copies: [NodeID: [(Duration, Outbound)]] = [:]
        for r in receivers { copies[r] = [(.zero, out)] }
        var remaining: [PendingFault] = []
        for f in messageFaults {
            guard f.kind == kind, f.from == nil || f.from == sender, f.to == nil || receivers.contains(f.to!) else {
                remaining.append(f)
                continue
            }
            let affected = f.to.map { [$0] } ?? receivers
            let whom = f.to.map { " to \($0)" } ?? ""
            for r in affected {
                switch f.fault {
                case .drop:
                    copies[r] = []
                case .duplicate(let after):
                    if let first = copies[r]?.first { copies[r]!.append((after, first.1)) }
                case .corrupt:
                    copies[r] = copies[r]?.map { ($0.0, Self.corrupted($0.1)) }
                }
            }
            switch f.fault {
            case .drop: notes.append("dropped\(whom)")
            case .duplicate: notes.append("delivered twice\(whom)")
            case .corrupt: notes.append("corrupted\(whom)")
            }
        }
        messageFaults = remaining
        if receivers.isEmpty { notes.append("no receiver") }
        sent.append(Sent(time: now, from: sender, outbound: out, receivers: receivers, notes: notes))
        note("\(sender) -> \(name(of: out.target)) \(receivers.map(\.description)): \(Self.describe(out))")
        let arrival = now + (out.pacing?.duration ?? .zero) + latency
        for r in receivers {
            for (extra, copy) in copies[r] ?? [] { schedule(at: arrival + extra, .arrive(r, copy)) }
        }
    }

    /// `out` with the last byte of its bulk content flipped.
    private static func corrupted(_ out: Outbound) -> Outbound {
        func flip(_ p: Payload) -> Payload {
            precondition(!p.isEmpty, "nothing to corrupt in \(describe(out))")
            var bytes = p.bytes
            bytes[bytes.count - 1] ^= 0xFF
            return Payload(copying: bytes)
        }
        var copy = out
        switch out.message {
        case .rendezvousTransfer(var m):
            m.content = flip(m.content)
            copy.message = .rendezvousTransfer(m)
        case .getResponse(var m):
            m.immediate = flip(m.immediate)
            copy.message = .getResponse(m)
        case .putProposal(var m):
            m.immediate = flip(m.immediate)
            copy.message = .putProposal(m)
        default:
            preconditionFailure("nothing to corrupt in \(describe(out))")
        }
        return copy
    }
}

extension Result {
    fileprivate var summary: String {
        switch self {
        case .success: return "ok"
        case .failure(let e): return "\(e)"
        }
    }
}
