#if canImport(CIBVerbs)
import CIBVerbs
import CVerbsShim
import ReplicastTransport
import ReplicastWire

/// The send side of one queue pair: its completion queue, a registered slab of head slots
/// (one per send work request in flight), the chain of work requests being built, and the
/// bodies held while their sends are in flight. The verbs objects belong to whoever made the
/// ring (the transport, or a `SendLane`) and outlive it.
///
/// Sends carry sequence numbers; the slot of sequence `s` is `s % depth`. The send queue
/// completes in order, so a completion for `s` frees every slot up to `s`.
final class SendRing {
    /// Work requests one chain holds at most.
    static let chainCapacity = 64

    let qp: UnsafeMutablePointer<ibv_qp>
    let completionQueue: UnsafeMutablePointer<ibv_cq>
    let slotBase: UnsafeMutableRawPointer
    let slotSize: Int
    let lkey: UInt32
    let depth: UInt64
    let signalInterval: UInt64
    /// Datagrams up to this size are posted inline (what the device granted the queue pair).
    let maxInlineData: Int
    /// The chain being built: `chainLength` work requests, two scatter/gather entries each.
    let requests: UnsafeMutablePointer<ibv_send_wr>
    let sges: UnsafeMutablePointer<ibv_sge>
    var chainLength = 0
    private let completions: UnsafeMutableBufferPointer<ibv_wc>

    /// Sends posted so far, and completed so far (all before `completed`).
    private(set) var posted: UInt64 = 0
    private(set) var completed: UInt64 = 0
    /// Sends that completed with an error status, not yet taken.
    private var completionErrors: UInt64 = 0
    /// Body buffers kept alive while the send slot using them is in flight.
    private var retainedBodies: [PayloadBuffer?]

    init(
        qp: UnsafeMutablePointer<ibv_qp>, completionQueue: UnsafeMutablePointer<ibv_cq>,
        slab: RegisteredMemory, slotSize: Int, depth: Int, signalInterval: Int, maxInlineData: Int
    ) {
        self.qp = qp
        self.completionQueue = completionQueue
        self.slotBase = slab.bytes.baseAddress!
        self.slotSize = slotSize
        self.lkey = slab.lkey
        self.depth = UInt64(depth)
        self.signalInterval = UInt64(signalInterval)
        self.maxInlineData = maxInlineData
        requests = .allocate(capacity: Self.chainCapacity)
        sges = .allocate(capacity: 2 * Self.chainCapacity)
        completions = .allocate(capacity: 32)
        retainedBodies = Array(repeating: nil, count: depth)
    }

    deinit {
        requests.deallocate()
        sges.deallocate()
        completions.deallocate()
    }

    /// The sequence number the `n`-th request of the chain being built will carry.
    @inline(__always)
    func sequence(ofChainEntry n: Int) -> UInt64 { posted + UInt64(n) }

    /// The head slot of sequence `sequence`.
    @inline(__always)
    func slot(_ sequence: UInt64) -> (index: Int, base: UnsafeMutableRawPointer) {
        let index = Int(sequence % depth)
        return (index, slotBase + index * slotSize)
    }

    /// Whether the send of `sequence` asks for a completion (every `signalInterval`-th, and
    /// the last of a chain).
    @inline(__always)
    func isSignalled(_ sequence: UInt64, last: Bool) -> Bool {
        last || sequence % signalInterval == signalInterval - 1
    }

    /// Keeps `body` alive until the send in slot `index` completes.
    @inline(__always)
    func retain(_ body: PayloadBuffer, slot index: Int) { retainedBodies[index] = body }

    /// Posts the chain built (`chainLength` requests). Returns `ibv_post_send`'s result and
    /// how many were posted; slots of requests not posted are released. Empties the chain.
    func postChain() -> (rc: Int32, posted: Int) {
        let count = chainLength
        chainLength = 0
        guard count > 0 else { return (0, 0) }
        var failed: UnsafeMutablePointer<ibv_send_wr>? = nil
        let rc = ibv_post_send(qp, requests, &failed)
        let done = rc == 0 ? count : (failed.map { $0 - requests } ?? 0)
        for n in done..<count { retainedBodies[Int((posted + UInt64(n)) % depth)] = nil }
        posted += UInt64(done)
        return (rc, done)
    }

    /// Drops the chain built without posting it.
    func discardChain() {
        for n in 0..<chainLength { retainedBodies[Int((posted + UInt64(n)) % depth)] = nil }
        chainLength = 0
    }

    /// The sends that completed with an error since the last call.
    func takeCompletionErrors() -> UInt64 {
        defer { completionErrors = 0 }
        return completionErrors
    }

    /// Waits (busy-polling the completion queue) until `count` slots are free.
    func reserve(_ count: Int, timeout: Duration) throws(TransportError) {
        try awaitCompletions(untilInFlight: Int(depth) - count, timeout: timeout) { inFlight in
            TransportError("send", reason: "send queue stalled (\(inFlight) in flight)")
        }
    }

    /// Waits until every posted send has completed (before an address handle goes away).
    func quiesce(timeout: Duration) throws(TransportError) {
        try awaitCompletions(untilInFlight: 0, timeout: timeout) { inFlight in
            TransportError("quiesce sends", reason: "\(inFlight) sends did not complete")
        }
    }

    /// Reaps completions until at most `limit` sends are in flight (a negative limit is never
    /// met), or throws `timedOut` with the number still in flight once `timeout` has passed.
    private func awaitCompletions(
        untilInFlight limit: Int, timeout: Duration, timedOut: (UInt64) -> TransportError
    ) throws(TransportError) {
        if Int(posted - completed) <= limit { return }
        let deadline = ContinuousClock.now + timeout
        while Int(posted - completed) > limit {
            if try reap() == 0 {
                guard ContinuousClock.now < deadline else { throw timedOut(posted - completed) }
                cvs_cpu_relax()
            }
        }
    }

    /// Polls the completion queue and frees the slots completed. Returns the completions seen.
    @discardableResult
    func reap() throws(TransportError) -> Int {
        let n = ibv_poll_cq(completionQueue, Int32(completions.count), completions.baseAddress)
        guard n >= 0 else { throw TransportError("ibv_poll_cq", reason: "send completion queue failed") }
        for i in 0..<Int(n) {
            let wc = completions[i]
            if wc.status != IBV_WC_SUCCESS { completionErrors += 1 }
            let through = wc.wr_id + 1
            while completed < through {
                retainedBodies[Int(completed % depth)] = nil
                completed += 1
            }
        }
        return Int(n)
    }

    /// Drops every body held (at close, after the sends are done or abandoned).
    func releaseBodies() {
        for i in retainedBodies.indices { retainedBodies[i] = nil }
    }
}
#endif
