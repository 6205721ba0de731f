import ReplicastTransport
import ReplicastWire
import Synchronization

#if canImport(CIBVerbs)
import CIBVerbs
import SystemPackage
import CVerbsShim
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The verbs transport: one UD queue pair made through an rdma_cm id, multicast through
/// `rdma_join_multicast` (as librdmacm's `mckey`), unicast to a peer's GID and QPN.
///
/// - Setup order (teardown is the reverse, in `close()`): rdma_cm event channel, rdma_cm id,
///   the rdma_cm event thread, the id bound to the local IP, protection domain, the pool of
///   registered buffers, receive and send slabs (memory regions), completion channel,
///   receive and send completion queues, with send lanes a shared receive queue, queue pair,
///   send lanes; address handles as groups are joined and peers addressed. The event thread
///   is stopped and joined before the id and its channel are destroyed.
/// - A member receives its own multicast datagrams too (as UDP with IP_MULTICAST_LOOP).
/// - rdma_cm control events are handled on a thread of their own (`CMEventThread`), which
///   shares a `CMEventTable` with the driving thread. `join` registers the join there,
///   posts `rdma_join_multicast` and waits for the thread to hand it the
///   RDMA_CM_EVENT_MULTICAST_JOIN's parameters (or the _ERROR), then makes the address handle
///   itself; `leave` (`rdma_leave_multicast`) produces no event. A MULTICAST_ERROR for a
///   group already joined makes sends to it throw; DEVICE_REMOVAL or ADDR_CHANGE wakes a
///   sleeping `receive` and makes every call but `leave` and `close` throw a permanent error
///   (`TransportError.isPermanent`): the owner closes the transport, which lets the device go.
/// - Receive: a registered slab of `receiveDepth` slots of path MTU + 40 bytes (the GRH);
///   slots are reposted per polled batch. While traffic flows, `receive` waits one
///   `completionModeration` for a batch to gather (rxe has no hardware CQ moderation); then it
///   busy-polls for `busyPoll`, then arms the completion queue and sleeps in poll(2) on the
///   completion channel and an eventfd (`wake()`), so an idle transport uses no CPU.
/// - Send: heads are copied into a registered send slab (or posted inline when the whole
///   datagram fits `max_inline_data`); a body in a buffer from `allocate(count:)` (registered
///   memory from a pool, reused once released) is a second scatter/gather entry in its own
///   memory region, any other body is copied next to the head.
///   Every `signalInterval`-th send and the last of each chain are signalled.
/// - Send lanes (`sendLanes` > 1): extra queue pairs in the same protection domain, each with
///   its own send completion queue, head slab and posting thread (`SendLane`). A large `send`
///   is cut into one part per queue pair; idle lanes take parts and post them while the
///   driving thread posts the rest and goes on (`flush()` waits for the lanes, and their
///   counts). A datagram's source is then the queue
///   pair that sent it, so every queue pair receives: they share one receive queue (SRQ) and
///   the receive completion queue, and a reply to a lane arrives as any other datagram.
///
/// Driven by one thread; only `wake()` may be called from others.
public final class VerbsTransport: DatagramTransport, @unchecked Sendable {
    /// The multicast QPN and the Q_Key rdma_cm gives UDP-port-space queue pairs.
    static let multicastQPN: UInt32 = 0xFF_FFFF
    static let udpQKey: UInt32 = 0x0123_4567
    /// Bytes of the GRH (or the RoCE v2 IPv4 header in its last 20) before each received datagram.
    static let grhSize = 40
    /// Largest buffer `allocate(count:)` registers.
    public static let maxAllocation = 1 << 30

    public let configuration: VerbsConfiguration
    /// The device and port in use, e.g. `rxe0` port 1.
    public let deviceName: String
    public let portNumber: UInt8
    /// The path MTU of the port (`active_mtu`), the size of each receive slot's payload.
    public let pathMTU: Int
    public let maxDatagramSize: Int
    public let localEndpoint: Endpoint
    /// The local GID and the index it has in the port's table.
    public let localGID: GID
    public let gidIndex: Int32
    /// The IPv4 address (host order) the rdma_cm id is bound to.
    public let localIPv4: UInt32
    /// Data sent inline at most (0: none), as the device granted.
    public let maxInlineData: Int
    public internal(set) var counters = TransportCounters()

    // Owned verbs objects, in setup order; `close()` drops them in reverse.
    var events: CMEventChannel?
    var cmId: CMId?
    var cmThread: CMEventThread?
    var domain: SharedDomain?
    /// Where `allocate(count:)` takes registered buffers from.
    var bufferPool: RegisteredBufferPool?
    var receiveSlab: RegisteredMemory?
    var sendSlab: RegisteredMemory?
    var completionChannel: CompletionChannel?
    var receiveQueue: CompletionQueue?
    var sendQueue: CompletionQueue?
    /// With send lanes: the receive queue the transport's and the lanes' queue pairs share.
    var sharedReceives: SharedReceiveQueue?
    var queuePair: UDQueuePair?
    var groups: [UInt32: JoinedGroup] = [:]
    var unjoinedGroupHandles: [UInt32: SharedAddressHandle] = [:]
    var peerHandles: [GID: SharedAddressHandle] = [:]

    // Raw pointers for the data path, valid until `close()`.
    let qp: UnsafeMutablePointer<ibv_qp>
    let srq: UnsafeMutablePointer<ibv_srq>?
    let receiveCQ: UnsafeMutablePointer<ibv_cq>
    let completionFD: Int32
    let receiveSlotSize: Int
    let receiveBase: UnsafeMutableRawPointer
    let receiveLKey: UInt32

    // Preallocated work requests, scatter/gather lists and completions.
    let receiveRequests: UnsafeMutablePointer<ibv_recv_wr>
    let receiveSGEs: UnsafeMutablePointer<ibv_sge>
    let completions: UnsafeMutableBufferPointer<ibv_wc>
    /// Receive slots consumed and not yet reposted.
    var pendingReposts: [Int32]

    /// The send side of the transport's own queue pair.
    let sendRing: SendRing
    /// Extra queue pairs that large sends are spread over (`sendLanes - 1` of them), each
    /// posting from a thread of its own. Made after the queue pair, closed before it.
    var lanes: [SendLane] = []

    let wakeFD: Int32
    /// Set by `wake()` before it writes `wakeFD`, so `receive` can see a wake-up without a read.
    let wakeRequested = Atomic<Bool>(false)
    /// Shared with the rdma_cm event thread: pending joins, dropped groups, transport failure.
    let controlEvents = CMEventTable<MulticastJoin>()
    /// The last `receive` returned datagrams: the next one moderates before it arms the queue.
    var trafficFlowing = false
    var isClosed = false

    /// Opens the configured (or first active) device, binds an rdma_cm id to its IP, and
    /// creates the queue pair, queues and slabs. Throws "no RDMA device found" when the
    /// machine has no verbs device.
    public init(configuration: VerbsConfiguration = VerbsConfiguration()) throws(TransportError) {
        self.configuration = configuration
        guard configuration.receiveDepth > 0, configuration.sendDepth >= 2,
            configuration.signalInterval > 0, configuration.pollBatch > 0, configuration.sendLanes > 0
        else {
            throw TransportError("configure verbs transport", reason: "queue depths, batch sizes and send lanes must be positive")
        }

        let port = try Self.selectPort(configuration)
        deviceName = port.device
        localGID = port.gid
        gidIndex = port.gidIndex
        localIPv4 = port.ipv4
        pathMTU = port.mtu
        maxDatagramSize = min(port.mtu, configuration.maxDatagramSize ?? port.mtu)
        receiveSlotSize = port.mtu + Self.grhSize
        let wakeFD = cvs_eventfd()
        guard wakeFD >= 0 else { throw VerbsError.last("eventfd").transportError }
        self.wakeFD = wakeFD

        do {
            let events = try CMEventChannel()
            let cmId = try CMId(channel: events)
            // A failure of the whole transport wakes a `receive` asleep on the completion
            // channel, which then throws it (the thread is joined before the eventfd closes).
            let cmThread = try CMEventThread(channel: events, reportingTo: controlEvents) { [wakeFD] in
                var one: UInt64 = 1
                _ = Glibc.write(wakeFD, &one, 8)
            }
            try cmId.bind(ipv4: port.ipv4)
            guard let context = cmId.context else {
                throw VerbsError("rdma_bind_addr (address not on an RDMA device)", .operationNotSupportedByDevice)
            }
            portNumber = cmId.portNumber
            let domain = try SharedDomain(context: context)
            let receiveSlab = try RegisteredMemory(domain: domain, count: configuration.receiveDepth * receiveSlotSize)
            let sendSlab = try RegisteredMemory(domain: domain, count: configuration.sendDepth * port.mtu)
            let completionChannel = try CompletionChannel(context: context)
            let receiveQueue = try CompletionQueue(
                context: context, capacity: configuration.receiveDepth, channel: completionChannel.raw)
            let sendQueue = try CompletionQueue(context: context, capacity: configuration.sendDepth, channel: nil)
            var sharedReceives: SharedReceiveQueue? = nil
            if configuration.sendLanes > 1 {
                sharedReceives = try SharedReceiveQueue(pd: domain.pd, depth: configuration.receiveDepth)
            }
            let queuePair = try UDQueuePair(
                id: cmId, pd: domain.pd, sendQueue: sendQueue, receiveQueue: receiveQueue,
                sharedReceives: sharedReceives?.raw, sendDepth: configuration.sendDepth, receiveDepth: configuration.receiveDepth,
                maxInlineData: configuration.maxInlineData)

            qp = queuePair.raw
            srq = sharedReceives?.raw
            receiveCQ = receiveQueue.raw
            completionFD = completionChannel.fileDescriptor
            maxInlineData = Int(queuePair.capabilities.max_inline_data)
            localEndpoint = Endpoint(address: port.gid.words, selector: queuePair.number)
            receiveBase = receiveSlab.bytes.baseAddress!
            receiveLKey = receiveSlab.lkey
            sendRing = SendRing(
                qp: queuePair.raw, completionQueue: sendQueue.raw, slab: sendSlab, slotSize: port.mtu,
                depth: configuration.sendDepth, signalInterval: configuration.signalInterval,
                maxInlineData: Int(queuePair.capabilities.max_inline_data))

            self.events = consume events
            self.cmId = consume cmId
            self.cmThread = consume cmThread
            self.domain = domain
            self.bufferPool = RegisteredBufferPool(domain: domain, maxPooledBytes: configuration.maxPooledBufferBytes)
            self.receiveSlab = receiveSlab
            self.sendSlab = sendSlab
            self.completionChannel = consume completionChannel
            self.receiveQueue = consume receiveQueue
            self.sendQueue = consume sendQueue
            self.sharedReceives = consume sharedReceives
            self.queuePair = consume queuePair
        } catch {
            Glibc.close(wakeFD)
            throw error.transportError
        }

        receiveRequests = .allocate(capacity: configuration.receiveDepth)
        receiveSGEs = .allocate(capacity: configuration.receiveDepth)
        completions = .allocate(capacity: configuration.pollBatch)
        pendingReposts = []
        pendingReposts.reserveCapacity(configuration.receiveDepth)

        pendingReposts.append(contentsOf: (0..<Int32(configuration.receiveDepth)))
        do throws(TransportError) {
            try repostReceives()
            for _ in 1..<configuration.sendLanes {
                do {
                    lanes.append(try SendLane(
                        context: domain!.pd.raw.pointee.context, domain: domain!, port: portNumber, qkey: Self.udpQKey,
                        receiveQueue: receiveCQ, sharedReceives: srq!,
                        slotSize: pathMTU, configuration: configuration))
                } catch {
                    throw error.transportError
                }
            }
        } catch {
            close()
            throw error
        }
    }

    deinit {
        close()
        Glibc.close(wakeFD)
        receiveRequests.deallocate()
        receiveSGEs.deallocate()
        completions.deallocate()
    }

    /// Pins the calling thread to CPU core `core` (for the thread that drives a transport).
    public static func pinCurrentThread(toCore core: Int) throws(TransportError) {
        let rc = cvs_pin_current_thread(Int32(clamping: core))
        guard rc == 0 else { throw VerbsError.returned("pthread_setaffinity_np", rc).transportError }
    }

    /// Names of the verbs devices on this machine (empty without RDMA support).
    public static func deviceNames() -> [String] { DeviceContext.deviceNames() }

    public func wake() {
        wakeRequested.store(true, ordering: .releasing)
        var one: UInt64 = 1
        _ = Glibc.write(wakeFD, &one, 8)
    }

    /// Leaves every group, waits for sends in flight, and destroys the verbs objects in the
    /// reverse of their setup order. Buffers from `allocate(count:)` stay valid; their
    /// protection domain goes with the last of them. The free buffers of the pool are
    /// deregistered now, those still held when they are released.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        try? quiesceSends()
        for ip in groups.keys { try? cmId?.leaveMulticast(ipv4: ip) }
        groups.removeAll()
        unjoinedGroupHandles.removeAll()
        peerHandles.removeAll()
        lanes.forEach { $0.close() }
        lanes.removeAll()
        sendRing.releaseBodies()
        queuePair = nil
        sharedReceives = nil
        sendQueue = nil
        receiveQueue = nil
        completionChannel = nil
        sendSlab = nil
        receiveSlab = nil
        bufferPool?.close()
        bufferPool = nil
        domain = nil
        cmThread = nil  // stopped and joined while the id and the channel still exist
        cmId = nil
        events = nil
    }

    /// Throws a permanent error if the transport is closed, or the rdma_cm event thread
    /// reported the device removed or the address changed.
    func ensureOpen(_ operation: String) throws(TransportError) {
        if isClosed { throw TransportError(operation, reason: "transport closed", permanent: true) }
        if let failure = controlEvents.transportFailure {
            throw TransportError(operation, code: failure.errorCode, reason: "\(deviceName): \(failure)", permanent: true)
        }
    }
}

/// A group this transport joined: the address handle, QPN and Q_Key from the join event.
final class JoinedGroup {
    let handle: AddressHandle
    let qkey: UInt32
    let qpn: UInt32

    init(handle: consuming AddressHandle, qkey: UInt32, qpn: UInt32) {
        self.handle = handle
        self.qkey = qkey
        self.qpn = qpn
    }
}

/// An address handle kept in a cache.
final class SharedAddressHandle {
    let handle: AddressHandle
    init(_ handle: consuming AddressHandle) { self.handle = handle }
}

extension Error {
    /// A `VerbsError` or `TransportError` thrown in setup, as a transport error.
    var transportError: TransportError {
        if let e = self as? TransportError { return e }
        if let e = self as? VerbsError { return e.transportError }
        return TransportError("verbs", reason: "\(self)")
    }
}

#else

/// The verbs transport needs libibverbs and librdmacm (Linux). Elsewhere it cannot be made.
public final class VerbsTransport {
    public init(configuration: VerbsConfiguration = VerbsConfiguration()) throws(TransportError) {
        throw TransportError("open verbs device", reason: "no RDMA device found (verbs are Linux only)")
    }

    public static func deviceNames() -> [String] { [] }
}
#endif
