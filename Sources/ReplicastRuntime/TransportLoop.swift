import Logging
import ReplicastCore
import ReplicastDriver
import ReplicastTransport
import ReplicastWire

/// The I/O half of a node or a client: moves a `ProtocolDriver`'s datagrams, group
/// memberships and time over a real transport, on the calling thread.
///
/// One turn: fire what is due, post the datagrams due, wait for datagrams until the
/// driver's next deadline, feed them in, post the answers. The driver's effects (storage
/// requests, outcomes) go to the owner's handler as they come.
final class TransportLoop<Core: DrivenCore> {
    let transport: any DatagramTransport
    let driver: ProtocolDriver<Core>
    let logger: Logger
    private var batch: SendBatch
    /// Send and receive calls that failed.
    private(set) var sendErrors: UInt64 = 0
    private(set) var receiveErrors: UInt64 = 0
    /// The first permanent transport error (closed, device removed): the transport carries
    /// nothing from then on, and the loop's owner stops or fails what waits on it.
    private(set) var failure: TransportError?

    init(driver: ProtocolDriver<Core>, transport: any DatagramTransport, logger: Logger) {
        self.driver = driver
        self.transport = transport
        self.logger = logger
        self.batch = SendBatch(maxDatagrams: 64, headCapacity: 64 * 1024)
    }

    /// Joins the groups the core asked for at its start (a server's Negotiating Groups);
    /// throws the first failure. Effects are left for the first turn.
    func joinInitialGroups() throws(TransportError) -> Int {
        var joined = 0
        for output in driver.pollOutputs() {
            guard case .join(let group) = output else { continue }
            try transport.join(group)
            joined += 1
        }
        return joined
    }

    /// Runs `body` on the core (a command, a storage completion), then posts what it sent
    /// and hands its effects to `handle`.
    @discardableResult
    func withCore<R>(now: Instant, handle: (Core.Effect) -> Void, _ body: (inout Core) -> R) -> R {
        let result = driver.withCore(now: now, body)
        settle(now: now, handle: handle)
        return result
    }

    /// One turn of the loop, waiting at most `maxWait` (nil: until the driver's deadline,
    /// or a wake-up) for datagrams. A turn whose timers produced an effect (an outcome the
    /// owner may be waiting for) does not wait.
    func turn(maxWait: Duration? = nil, handle: (Core.Effect) -> Void) {
        var now = WallClock.now()
        driver.advance(to: now)
        let effects = settle(now: now, handle: handle)
        now = WallClock.now()
        var wait: Duration? = driver.nextDeadline.map { max(.zero, $0 - now) }
        if let maxWait { wait = wait.map { min($0, maxWait) } ?? maxWait }
        if effects > 0 {
            wait = .zero
        } else if let w = wait, w < .milliseconds(1) {
            // The transport's wait is in milliseconds: a shorter gap (the next paced
            // datagram) is slept, then whatever arrived meanwhile is taken.
            WallClock.sleep(w)
            wait = .zero
        }
        receive(timeout: wait)
        settle(now: WallClock.now(), handle: handle)
    }

    /// Carries out joins and leaves, hands effects to `handle` (which may call back into the
    /// core), and posts every datagram due, until nothing is left. Returns how many effects
    /// were handled.
    @discardableResult
    func settle(now: Instant, handle: (Core.Effect) -> Void) -> Int {
        var effects = 0
        var outputs = driver.pollOutputs()
        while !outputs.isEmpty {
            for output in outputs {
                switch output {
                case .join(let group):
                    do { try transport.join(group) } catch { noteFailure(error, "join \(group)") }
                case .leave(let group):
                    do { try transport.leave(group) } catch { noteFailure(error, "leave \(group)") }
                case .effect(let effect):
                    effects += 1
                    handle(effect)
                }
            }
            outputs = driver.pollOutputs()
        }
        flush(now: now)
        return effects
    }

    /// Posts every datagram the driver has due at `now`.
    func flush(now: Instant) {
        while true {
            let more = driver.fill(&batch, now: now)
            if !batch.isEmpty {
                do {
                    try transport.send(&batch)
                } catch {
                    sendErrors += 1
                    batch.removeAll()
                    noteFailure(error, "send")
                }
            }
            if !more { return }
        }
    }

    /// Receives what arrives within `timeout` and feeds it to the driver. The clock is read
    /// once per received batch, not per datagram.
    private func receive(timeout: Duration?) {
        var batchNow: Instant?
        do {
            _ = try transport.receive(timeout: timeout) { datagram in
                let now = batchNow ?? WallClock.now()
                batchNow = now
                driver.receive(datagram.bytes, from: datagram.source, now: now)
            }
        } catch {
            receiveErrors += 1
            noteFailure(error, "receive")
        }
    }

    /// Logs a failed transport call (`what`: send, receive, a join or a leave); keeps the
    /// first permanent failure as `failure`, logged once, and the later ones quiet.
    func noteFailure(_ error: TransportError, _ what: String) {
        guard error.isPermanent else {
            logger.warning("\(what) failed: \(error)")
            return
        }
        guard failure == nil else { return }
        failure = error
        logger.error("the transport failed for good: \(error)")
    }
}
