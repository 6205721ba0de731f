import Logging
import ReplicastCore
import ReplicastTransport
import ReplicastWire

/// Whole messages over a datagram transport: fragments outgoing messages into send
/// batches (heads copied, payload bodies sent in place), paces rendezvous transfers,
/// reassembles incoming datagrams, and maps the core's targets to transport destinations.
///
/// Used by one event-loop thread.
final class MessageChannel {
    let transport: any DatagramTransport
    let logger: Logger
    let table: AllocationTable
    private let reassembler: Reassembler
    private var batch: SendBatch
    private var paced: [PacedTransfer] = []
    private var errorLimiter = DecodeErrorLimiter<Endpoint>(interval: .seconds(10))
    /// Unicast endpoints of peers, learned from their datagrams: the protocol only unicasts
    /// replies, and on verbs an endpoint (GID, queue pair) exists only once the peer is up.
    private var endpoints: [NodeID: Endpoint] = [:]
    private(set) var stats = ChannelStats()
    /// The first permanent transport error (closed, device removed): the transport carries
    /// nothing from then on, and the channel's owner stops or fails what waits on it.
    private(set) var failure: TransportError?

    /// This participant: its own multicasts come back (loop is on) and are dropped here.
    let selfID: NodeID

    init(
        selfID: NodeID, transport: any DatagramTransport, table: AllocationTable, logger: Logger,
        limits: ReassemblyLimits = ReassemblyLimits()
    ) {
        self.selfID = selfID
        self.transport = transport
        self.table = table
        self.logger = logger
        self.reassembler = Reassembler(limits: limits)
        self.batch = SendBatch(maxDatagrams: 64, headCapacity: 64 * 1024)
    }

    /// The transport destination of a core target, if known.
    func destination(_ target: Target) -> Destination? {
        switch target {
        case .negotiatingGroup(let row):
            guard let address = table.row(row)?.addresses.negotiating.first else { return nil }
            return .group(address)
        case .group(let g):
            return .group(g)
        case .node(let n):
            return endpoints[n].map { .endpoint($0) }
        }
    }

    /// Sends `out` now, or queues it for pacing when it carries a rendezvous window.
    func send(_ out: Outbound, now: Instant) {
        guard let destination = destination(out.target) else {
            stats.unroutable += 1
            logger.debug("no route to \(out.target) for \(out.message.wireType)")
            return
        }
        let envelope = Envelope(kind: out.kind, id: out.id, generation: table.generation, message: out.message)
        let fragmenter: Fragmenter
        do {
            fragmenter = try Fragmenter(envelope: envelope, maxDatagramSize: transport.maxDatagramSize)
        } catch {
            stats.encodeErrors += 1
            logger.error("cannot encode \(out.message.wireType): \(error)")
            return
        }
        stats.messagesSent += 1
        if let window = out.pacing {
            let burst = batch.maxDatagrams * transport.maxDatagramSize
            paced.append(PacedTransfer(fragmenter: fragmenter, destination: destination, window: window, burst: burst))
            pump(now: now)
        } else {
            for i in 0..<fragmenter.fragmentCount { append(fragmenter, i, to: destination) }
            flush()
        }
    }

    private func append(_ f: Fragmenter, _ i: Int, to destination: Destination) {
        if batch.isFull || batch.headSpaceLeft < f.headLength(of: i) { flush() }
        batch.append(to: destination, headLength: f.headLength(of: i), body: f.body(of: i)) { head in
            f.writeHead(of: i, into: head)
        }
    }

    /// Posts the pending batch.
    func flush() {
        guard !batch.isEmpty else { return }
        do {
            try transport.send(&batch)
        } catch {
            stats.sendErrors += 1
            batch.removeAll()
            noteFailure(error, "send")
        }
    }

    /// Logs a failed transport call (`what`: send, receive, a join or a leave); keeps the
    /// first permanent failure as the channel's `failure`, logged once, and the later ones
    /// quiet.
    func noteFailure(_ error: TransportError, _ what: String) {
        guard error.isPermanent else {
            logger.warning("\(what) failed: \(error)")
            return
        }
        guard failure == nil else { return }
        failure = error
        logger.error("the transport failed for good: \(error)")
    }

    /// Sends every paced fragment that is due; returns when the next one is due.
    @discardableResult
    func pump(now: Instant) -> Instant? {
        var i = 0
        while i < paced.count {
            var t = paced[i]
            let allowed = t.allowance(at: now)
            while !t.isDone && t.sentBytes + t.size(of: t.next) <= allowed {
                t.sentBytes += t.size(of: t.next)
                append(t.fragmenter, t.next, to: t.destination)
                t.next += 1
            }
            if t.isDone {
                stats.transfersSent += 1
                stats.transferBytesSent += UInt64(t.fragmenter.messageLength)
                paced.remove(at: i)
            } else {
                paced[i] = t
                i += 1
            }
        }
        flush()
        return paced.map { $0.nextDue() }.min()
    }

    /// Receives what arrives within `timeout` and hands each complete message to `deliver`.
    /// The clock is read once per received batch, not per datagram: the reassembler's
    /// timestamps only age incomplete messages, on a scale of seconds.
    func receive(timeout: Duration?, now: () -> Instant, deliver: (Inbound) -> Void) {
        var complete: [(Envelope, Endpoint)] = []
        var batchNow: Instant?
        func batchTime() -> Instant {
            if let batchNow { return batchNow }
            let t = now()
            batchNow = t
            return t
        }
        do {
            _ = try transport.receive(timeout: timeout) { datagram in
                stats.datagramsReceived += 1
                do {
                    if let envelope = try reassembler.accept(datagram.bytes, now: batchTime()) {
                        complete.append((envelope, datagram.source))
                    }
                } catch {
                    stats.decodeErrors += 1
                    if errorLimiter.shouldReport(datagram.source, now: batchTime()) {
                        logger.warning("dropped datagram from \(datagram.source): \(error)")
                    }
                }
            }
        } catch {
            stats.receiveErrors += 1
            noteFailure(error, "receive")
        }
        for (envelope, source) in complete where envelope.id.source != selfID {
            endpoints[envelope.id.source] = source
            stats.messagesReceived += 1
            deliver(Inbound(kind: envelope.kind, id: envelope.id, generation: envelope.generation, message: envelope.message))
        }
    }

    /// Incomplete messages whose fragments stopped arriving.
    func expire(now: Instant) -> [IncompleteMessage] {
        reassembler.expire(now: now)
    }
}

/// What a channel counted.
struct ChannelStats: Sendable {
    var messagesSent: UInt64 = 0
    var messagesReceived: UInt64 = 0
    var datagramsReceived: UInt64 = 0
    var transfersSent: UInt64 = 0
    var transferBytesSent: UInt64 = 0
    var decodeErrors: UInt64 = 0
    var encodeErrors: UInt64 = 0
    var sendErrors: UInt64 = 0
    var receiveErrors: UInt64 = 0
    var unroutable: UInt64 = 0
}
