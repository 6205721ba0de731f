#if canImport(CIBVerbs)
import CIBVerbs
import CVerbsShim
import Synchronization
import SystemPackage
import ReplicastTransport
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An extra queue pair a transport spreads large sends over, with a thread of its own that
/// posts them (`VerbsConfiguration.sendLanes`).
///
/// Soft-RoCE does a send's protocol work (the packet copy, the ICRC, the IP stack and, for a
/// group on the same device, every member's receive) inside the `ibv_post_send` system call,
/// on the posting thread. One thread posting a transfer therefore bounds it by one core; with
/// lanes, the driving thread hands chains to idle lanes and posts the rest itself, and does
/// not wait for a lane to finish: the lanes and the driving thread post side by side, each as
/// fast as its core allows. On hardware the NIC does that work and one lane suffices.
///
/// The driving thread builds a chain in `ring` while the lane is idle, hands it over with
/// `startPosting(count:totals:)`, and must not touch `ring` again until the lane is idle
/// (`isIdle`, or `finishPosting()` returns); the lane's thread touches it only in between.
/// The completion queue is polled by the driving thread while the lane is idle.
///
/// Setup: send completion queue, queue pair, head slab, thread; `close()` stops and joins
/// the thread, then drops the rest in reverse.
final class SendLane: @unchecked Sendable {
    let ring: SendRing
    // Declared in teardown order: if the thread cannot start, the stored properties are
    // dropped in this order (queue pair before its completion queue).
    private var queuePair: SendQueuePair?
    private var completionQueue: CompletionQueue?
    private var slab: RegisteredMemory?
    private var thread: pthread_t?
    private let poster: Poster

    /// Makes the lane's queue pair in `domain` on `port`, sized as the transport's and
    /// receiving through the transport's `receiveQueue` and `sharedReceives`, and starts its
    /// thread (which the scheduler places: the kernel work it does wants whichever core is free).
    init(
        context: UnsafeMutablePointer<ibv_context>, domain: SharedDomain, port: UInt8, qkey: UInt32,
        receiveQueue: UnsafeMutablePointer<ibv_cq>, sharedReceives: UnsafeMutablePointer<ibv_srq>,
        slotSize: Int, configuration: VerbsConfiguration
    ) throws(VerbsError) {
        let completionQueue = try CompletionQueue(context: context, capacity: configuration.sendDepth, channel: nil)
        let queuePair = try SendQueuePair(
            pd: domain.pd, sendQueue: completionQueue, receiveQueue: receiveQueue, sharedReceives: sharedReceives,
            port: port, qkey: qkey,
            sendDepth: configuration.sendDepth, maxInlineData: configuration.maxInlineData)
        let slab = try RegisteredMemory(domain: domain, count: configuration.sendDepth * slotSize)
        ring = SendRing(
            qp: queuePair.raw, completionQueue: completionQueue.raw, slab: slab, slotSize: slotSize,
            depth: configuration.sendDepth, signalInterval: configuration.signalInterval,
            maxInlineData: Int(queuePair.capabilities.max_inline_data))
        poster = try Poster(ring: ring)
        self.completionQueue = consume completionQueue
        self.queuePair = consume queuePair
        self.slab = slab

        let poster = self.poster
        self.thread = try startThread { poster.run() }
    }

    deinit { close() }

    /// What the chain handed over last carries, until `finishPosting()` accounts for it.
    private var handedOver: (count: Int, totals: VerbsTransport.ChainTotals)?

    /// Whether the lane has posted everything handed to it (its ring is the driving
    /// thread's again).
    var isIdle: Bool { poster.isIdle }

    /// Has the lane's thread post the chain built in `ring`: `count` work requests carrying
    /// `totals`.
    func startPosting(count: Int, totals: VerbsTransport.ChainTotals) {
        precondition(handedOver == nil, "a lane's previous chain was not finished")
        handedOver = (count, totals)
        poster.request()
    }

    /// Waits until the lane's thread has posted the chain handed over last, if one is not
    /// accounted for yet. Returns its size and totals with `ibv_post_send`'s result and how
    /// many work requests it posted, or nil.
    func finishPosting() -> (count: Int, totals: VerbsTransport.ChainTotals, rc: Int32, posted: Int)? {
        guard let chain = handedOver else { return nil }
        handedOver = nil
        let (rc, posted) = poster.awaitResult()
        return (chain.count, chain.totals, rc, posted)
    }

    /// Stops and joins the thread, then destroys the queue pair, its completion queue and
    /// the slab. Sends in flight should have completed (`ring.quiesce`).
    func close() {
        guard let thread else { return }
        poster.stop()
        pthread_join(thread, nil)
        self.thread = nil
        ring.releaseBodies()
        queuePair = nil
        completionQueue = nil
        slab = nil
    }

    /// The lane thread's side: sleeps on an eventfd until asked to post, posts, reports.
    private final class Poster: @unchecked Sendable {
        let ring: SendRing
        let requestFD: Int32
        let doneFD: Int32
        /// Requests made, requests done; the thread exits when `stopping` is set.
        let requested = Atomic<UInt64>(0)
        let done = Atomic<UInt64>(0)
        let stopping = Atomic<Bool>(false)
        /// The last post's result, written by the thread before `done` moves.
        let result = Atomic<Int64>(0)

        init(ring: SendRing) throws(VerbsError) {
            self.ring = ring
            let requestFD = cvs_eventfd()
            guard requestFD >= 0 else { throw .last("eventfd") }
            let doneFD = cvs_eventfd()
            guard doneFD >= 0 else {
                Glibc.close(requestFD)
                throw .last("eventfd")
            }
            self.requestFD = requestFD
            self.doneFD = doneFD
        }

        deinit {
            Glibc.close(requestFD)
            Glibc.close(doneFD)
        }

        var isIdle: Bool { done.load(ordering: .acquiring) == requested.load(ordering: .relaxed) }

        func request() {
            requested.add(1, ordering: .releasing)
            Self.signal(requestFD)
        }

        func awaitResult() -> (rc: Int32, posted: Int) {
            let target = requested.load(ordering: .relaxed)
            while done.load(ordering: .acquiring) < target { Self.waitAndDrain(doneFD) }
            let packed = result.load(ordering: .relaxed)
            return (Int32(truncatingIfNeeded: packed >> 32), Int(packed & 0xFFFF_FFFF))
        }

        func stop() {
            stopping.store(true, ordering: .releasing)
            Self.signal(requestFD)
        }

        func run() {
            var handled: UInt64 = 0
            while !stopping.load(ordering: .acquiring) {
                guard requested.load(ordering: .acquiring) > handled else {
                    Self.waitAndDrain(requestFD)
                    continue
                }
                handled += 1
                let (rc, posted) = ring.postChain()
                result.store(Int64(rc) << 32 | Int64(posted), ordering: .relaxed)
                done.store(handled, ordering: .releasing)
                Self.signal(doneFD)
            }
        }

        private static func signal(_ fd: Int32) {
            var one: UInt64 = 1
            _ = Glibc.write(fd, &one, 8)
        }

        /// Sleeps until `fd` is readable, then resets its count.
        private static func waitAndDrain(_ fd: Int32) {
            _ = cvs_wait_readable(fd, 3_600_000_000_000)  // an hour; the caller loops
            var count: UInt64 = 0
            _ = Glibc.read(fd, &count, 8)
        }
    }
}
#endif
