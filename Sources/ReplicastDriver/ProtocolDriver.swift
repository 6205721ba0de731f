import Logging
import ReplicastCore
import ReplicastTransport
import ReplicastWire

/// The sans-I/O layer between a protocol core and a datagram transport, run alike by a
/// storage node, a client and the simulator.
///
/// It owns what lies between whole messages and datagrams: fragmentation to the transport's
/// datagram size, reassembly and its expiry, pacing of Rendezvous Transfers
/// (`TransferPacer`), routing of the core's targets (a row's Negotiating Group address, a
/// group, a participant's endpoint learned from its datagrams), and one next deadline.
///
/// Its host moves bytes and time through it:
/// - `receive(_:from:now:)` for every datagram that arrives;
/// - `advance(to:)` when `nextDeadline` has passed;
/// - `fill(_:now:)` to take the datagrams due, until it returns false, posting each batch;
/// - `pollOutputs()` for joins, leaves and the core's effects, answered through
///   `withCore(now:_:)` (a store completion, a new put).
///
/// The driver reads no clock and does no I/O. It is used by one thread.
public final class ProtocolDriver<Core: DrivenCore> {
    /// The protocol core; change it through `withCore(now:_:)` so its actions are taken.
    public private(set) var core: Core
    public let maxDatagramSize: Int
    public let logger: Logger
    public private(set) var stats = DriverStats()
    /// Called with every batch of actions the core produced before they are taken, and the
    /// received message that caused it (nil for a timer, a command or a completion). The
    /// simulator checks invariants here; a host may trace.
    public var actionObserver: ((Inbound?, [Action<Core.Effect>]) -> Void)?

    private let reassembler: Reassembler
    private let burst: Int
    private var unsolicited: [QueuedMessage] = []
    private var unsolicitedHead = 0
    private var transfers: [TransferPacer] = []
    private var egress: EgressBucket?
    private var outputs: [DriverOutput<Core.Effect>] = []
    private var endpoints: [NodeID: Endpoint] = [:]
    private var errorLimiter = DecodeErrorLimiter<Endpoint>(interval: .seconds(10))

    /// Wraps `core` for datagrams of at most `maxDatagramSize` bytes. Multi-fragment
    /// messages are reassembled within `limits`, into buffers from `buffers`.
    public init(
        core: Core, maxDatagramSize: Int, limits: ReassemblyLimits = ReassemblyLimits(),
        buffers: MessageBufferPool = MessageBufferPool(), logger: Logger? = nil
    ) {
        self.core = core
        self.maxDatagramSize = maxDatagramSize
        self.reassembler = Reassembler(limits: limits, buffers: buffers)
        self.burst = TransferPacer.burst(maxDatagramSize: maxDatagramSize)
        self.logger = logger ?? Logger(label: "replicast.driver", factory: { _ in SwiftLogNoOpLogHandler() })
        takeActions(now: .zero)
    }

    /// This participant.
    public var nodeID: NodeID { core.nodeID }

    /// The node's reserved outbound rate, bytes per second: its Rendezvous Transfers
    /// together never leave faster beyond 4 ms of it (`EgressBucket`), however far behind
    /// their windows they are. (2 ms cost the single-client tbf cases 3-8 % on a busy host:
    /// a sender that is not scheduled for a while loses what it cannot catch up.) Nil (the default): each transfer is paced by its window alone.
    public var egressLimit: UInt64? {
        get { egress?.rate }
        set { egress = newValue.map { EgressBucket(rate: $0, minimumDepth: burst) } }
    }

    /// The reassembler's counters.
    public var reassemblyCounters: ReassemblyCounters { reassembler.counters }

    /// Transfers still being paced out.
    public var transfersInProgress: Int { transfers.count }

    /// The earliest time something is due: the core's deadline, the next paced datagram, or
    /// the expiry of a stalled reassembly. Call `advance(to:)` and `fill(_:now:)` then.
    public var nextDeadline: Instant? {
        var d = core.nextDeadline
        func merge(_ t: Instant?) {
            guard let t else { return }
            d = d.map { min($0, t) } ?? t
        }
        var earliestEnd: Instant?
        for t in transfers where !t.isDone {
            defer { earliestEnd = min(earliestEnd ?? t.windowEnd, t.windowEnd) }
            if let end = earliestEnd, t.windowStart >= end { continue }  // waits for an earlier one
            guard let due = t.nextDue() else { continue }
            merge(egress.map { max(due, $0.due(t.size(of: t.next))) } ?? due)
        }
        merge(reassembler.nextExpiry)
        return d
    }

    /// Runs `body` on the core (a command, a storage completion) and takes its actions.
    @discardableResult
    public func withCore<R>(now: Instant, _ body: (inout Core) throws -> R) rethrows -> R {
        let result = try body(&core)
        takeActions(now: now)
        return result
    }

    /// Fires what is due by `now`: the core's timers, and the expiry of reassemblies that
    /// stalled (a server NAKs an incomplete transfer).
    public func advance(to now: Instant) {
        if let d = core.nextDeadline, d <= now {
            core.handleTimeout(now: now)
            takeActions(now: now)
        }
        if let e = reassembler.nextExpiry, e <= now {
            for incomplete in reassembler.expire(now: now) {
                stats.incompleteMessages += 1
                logger.debug("\(incomplete.type) \(incomplete.id) incomplete: \(incomplete.receivedFragments)/\(incomplete.totalFragments) fragments")
                core.messageIncomplete(incomplete, now: now)
                takeActions(now: now)
            }
        }
    }

    /// Takes one received datagram. A datagram that fails validation is dropped and counted
    /// (and logged at most once per source and 20 times in all per 10 s, whatever the number
    /// of sources); one that completes a message from
    /// another participant hands the message to the core, whose actions are taken.
    public func receive(_ datagram: UnsafeRawBufferPointer, from source: Endpoint, now: Instant) {
        stats.datagramsReceived += 1
        let envelope: Envelope?
        do {
            envelope = try reassembler.accept(datagram, now: now)
        } catch {
            stats.decodeErrors += 1
            if errorLimiter.shouldReport(source, now: now) {
                let unreported = errorLimiter.takeUnreported()
                let more = unreported > 0 ? " (\(unreported) more dropped since the last report)" : ""
                logger.warning("dropped datagram from \(source): \(error)\(more)")
            }
            return
        }
        // Its own multicasts come back to a participant (loop is on): dropped here.
        guard let envelope, envelope.id.source != core.nodeID else { return }
        endpoints[envelope.id.source] = source
        stats.messagesReceived += 1
        let inbound = Inbound(kind: envelope.kind, id: envelope.id, generation: envelope.generation, message: envelope.message)
        core.handle(inbound, now: now)
        let actions = core.pollActions()
        actionObserver?(inbound, actions)
        take(actions, now: now)
        takeActions(now: now)
    }

    /// Moves the datagrams due by `now` into `batch` (unsolicited messages first, then paced
    /// transfers within their rate) until it is full. Returns true when more are due now:
    /// post the batch and call again.
    public func fill(_ batch: inout SendBatch, now: Instant) -> Bool {
        while unsolicitedHead < unsolicited.count {
            var q = unsolicited[unsolicitedHead]
            while q.next < q.fragmenter.fragmentCount {
                guard append(q.fragmenter, q.next, to: q.destination, into: &batch) else {
                    unsolicited[unsolicitedHead] = q
                    return true
                }
                q.next += 1
            }
            unsolicitedHead += 1
        }
        unsolicited.removeAll(keepingCapacity: true)
        unsolicitedHead = 0

        egress?.refill(now: now)
        // Transfers go in the order of their windows: one whose window starts at or after
        // the end of an earlier one's waits until that one is sent (a late transfer does not
        // overlap the next: together they would exceed the rate both were booked at).
        var earliestEnd: Instant?
        var i = 0
        while i < transfers.count {
            transfers[i].forgiveLag(at: now)
            if let end = earliestEnd, transfers[i].windowStart >= end {
                i += 1
                continue
            }
            while transfers[i].isDue(at: now) {
                let index = transfers[i].next
                let size = transfers[i].size(of: index)
                if let e = egress, !e.allows(size) { return false }
                guard append(transfers[i].fragmenter, index, to: transfers[i].destination, into: &batch) else { return true }
                transfers[i].release()
                egress?.spend(size)
            }
            if transfers[i].isDone {
                stats.transfersSent += 1
                stats.transferBytesSent += UInt64(transfers[i].fragmenter.messageLength)
                transfers.remove(at: i)
            } else {
                earliestEnd = min(earliestEnd ?? transfers[i].windowEnd, transfers[i].windowEnd)
                i += 1
            }
        }
        return false
    }

    /// Joins, leaves and effects produced since the last call, in order.
    public func pollOutputs() -> [DriverOutput<Core.Effect>] {
        defer { outputs.removeAll(keepingCapacity: true) }
        return outputs
    }

    /// The transport destination of a core target, if known.
    private func destination(_ target: Target) -> Destination? {
        switch target {
        case .negotiatingGroup(let row):
            return core.table.row(row)?.addresses.negotiating.first.map { .group($0) }
        case .group(let g):
            return .group(g)
        case .node(let n):
            return endpoints[n].map { .endpoint($0) }
        }
    }

    // MARK: - Private

    private func append(_ f: Fragmenter, _ i: Int, to destination: Destination, into batch: inout SendBatch) -> Bool {
        guard batch.append(to: destination, headLength: f.headLength(of: i), body: f.body(of: i), writeHead: {
            f.writeHead(of: i, into: $0)
        }) else { return false }
        stats.datagramsSent += 1
        return true
    }

    private func takeActions(now: Instant) {
        var actions = core.pollActions()
        while !actions.isEmpty {
            actionObserver?(nil, actions)
            take(actions, now: now)
            actions = core.pollActions()
        }
    }

    private func take(_ actions: [Action<Core.Effect>], now: Instant) {
        for action in actions {
            switch action {
            case .send(let out): enqueue(out, now: now)
            case .join(let g): outputs.append(.join(g))
            case .leave(let g): outputs.append(.leave(g))
            case .effect(let e): outputs.append(.effect(e))
            }
        }
    }

    /// Cuts a message into datagrams for its destination: unsolicited ones are due at
    /// once, a Rendezvous Transfer is paced from its window.
    private func enqueue(_ out: Outbound, now: Instant) {
        guard let destination = destination(out.target) else {
            stats.unroutable += 1
            logger.debug("no route to \(out.target) for \(out.message.wireType)")
            return
        }
        let envelope = Envelope(kind: out.kind, id: out.id, generation: core.table.generation, message: out.message)
        let fragmenter: Fragmenter
        do {
            fragmenter = try Fragmenter(envelope: envelope, maxDatagramSize: maxDatagramSize)
        } catch {
            stats.encodeErrors += 1
            logger.error("cannot encode \(out.message.wireType): \(error)")
            return
        }
        stats.messagesSent += 1
        if let window = out.pacing {
            transfers.append(TransferPacer(
                fragmenter: fragmenter, destination: destination, window: window, queuedAt: now, burst: burst))
        } else {
            unsolicited.append(QueuedMessage(fragmenter: fragmenter, destination: destination))
        }
    }
}

/// An unsolicited message whose datagrams wait for the next send batch.
private struct QueuedMessage {
    let fragmenter: Fragmenter
    let destination: Destination
    var next = 0
}
