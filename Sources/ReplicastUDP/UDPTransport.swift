import CReplicastSystem
import Glibc
import ReplicastTransport
import ReplicastWire

/// The UDP fallback transport: IPv4 unicast and multicast over two sockets, batched with
/// `sendmmsg` / `recvmmsg`.
///
/// - The *unicast socket*, bound to `interface:unicastPort`, sends everything (to groups
///   with IP_MULTICAST_IF = interface) and receives replies; its address is `localEndpoint`.
/// - The *multicast socket*, bound to `0.0.0.0:multicastPort` with SO_REUSEADDR and
///   SO_REUSEPORT so that several nodes on one host share the cluster's port, receives the
///   groups joined on it. IP_MULTICAST_ALL is off: it gets only the groups *it* joined.
///
/// With multicast loop on, a member also receives what it sends to its own groups.
/// Driven by one thread; only `wake()` may be called from others.
public final class UDPTransport: DatagramTransport {
    /// The configuration the transport was opened with.
    public let configuration: Configuration
    public let maxDatagramSize: Int
    public let localEndpoint: Endpoint
    public private(set) var counters = TransportCounters()
    /// Whether runs of equal datagrams go out as UDP GSO messages (configured and supported).
    public private(set) var segmentationOffloadActive: Bool
    /// Whether the sockets accept coalesced (UDP GRO) datagrams (configured and supported).
    public let receiveOffloadActive: Bool
    /// The socket receive buffer size the kernel granted (it reports twice the request).
    public let receiveBufferSize: Int

    /// Consecutive waits for send buffer space before the rest of a batch is dropped.
    static let sendRetryLimit = 100

    private let interfaceAddress: UInt32
    private let unicast: UDPSocket
    private let multicast: UDPSocket
    private let wakeEvent: WakeEvent
    private let sendVector: SendVector
    private let receiveSlab: ReceiveSlab
    /// Where `allocate(count:)` takes chunk buffers from, and where they return.
    private let buffers = MessageBufferPool()
    /// The unicast socket, the multicast socket and the wake event, polled for input.
    private let pollSet: UnsafeMutablePointer<pollfd>
    private var joined: Set<GroupAddress> = []
    private var isClosed = false

    /// Opens the sockets and binds them as `configuration` says.
    public init(_ configuration: Configuration) throws(TransportError) {
        let interface = try configuration.validated()
        let unicast = try UDPSocket.open()
        let multicast: UDPSocket
        do {
            multicast = try UDPSocket.open()
        } catch {
            unicast.close()
            throw error
        }
        do {
            let setup = try Self.setUp(unicast: unicast, multicast: multicast, interface: interface, configuration)
            wakeEvent = try WakeEvent()
            localEndpoint = setup.localEndpoint
            segmentationOffloadActive = setup.segmentation
            receiveOffloadActive = setup.receiveOffload
            receiveBufferSize = setup.receiveBufferSize
        } catch {
            unicast.close()
            multicast.close()
            throw error
        }
        self.configuration = configuration
        self.interfaceAddress = interface
        self.unicast = unicast
        self.multicast = multicast
        maxDatagramSize = configuration.maxDatagramSize
        sendVector = SendVector(capacity: configuration.sendBatchSize)
        receiveSlab = ReceiveSlab(
            capacity: configuration.receiveBatchSize,
            slotSize: receiveOffloadActive ? 65536 : configuration.maxDatagramSize)
        pollSet = .allocate(capacity: 3)
        pollSet.initialize(repeating: pollfd(), count: 3)
        for (i, fd) in [unicast.fd, multicast.fd, wakeEvent.fd].enumerated() {
            pollSet[i] = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        }
    }

    /// What socket setup found out.
    private struct SetUp {
        var localEndpoint: Endpoint
        var segmentation: Bool
        var receiveOffload: Bool
        var receiveBufferSize: Int
    }

    /// Sets the socket options and binds both sockets.
    private static func setUp(
        unicast: UDPSocket, multicast: UDPSocket, interface: UInt32, _ configuration: Configuration
    ) throws(TransportError) -> SetUp {
        let ip = Int32(IPPROTO_IP)
        let on: Int32 = 1

        for socket in [unicast, multicast] {
            socket.setBufferSize(configuration.receiveBufferSize, option: SO_RCVBUF, forcing: Int32(RC_SO_RCVBUFFORCE))
        }
        unicast.setBufferSize(configuration.sendBufferSize, option: SO_SNDBUF, forcing: Int32(RC_SO_SNDBUFFORCE))
        try unicast.bind(ipv4: interface, port: configuration.unicastPort)
        try unicast.setOption(ip, IP_MULTICAST_IF, to: in_addr(s_addr: interface.bigEndian), "IP_MULTICAST_IF")
        try unicast.setOption(ip, IP_MULTICAST_TTL, to: Int32(configuration.multicastTTL), "IP_MULTICAST_TTL")
        try unicast.setOption(ip, IP_MULTICAST_LOOP, to: Int32(configuration.multicastLoop ? 1 : 0), "IP_MULTICAST_LOOP")

        try multicast.setOption(SOL_SOCKET, SO_REUSEADDR, to: on, "SO_REUSEADDR")
        try multicast.setOption(SOL_SOCKET, Int32(SO_REUSEPORT), to: on, "SO_REUSEPORT")
        try multicast.setOption(ip, Int32(RC_IP_MULTICAST_ALL), to: Int32(0), "IP_MULTICAST_ALL")
        try multicast.bind(ipv4: 0, port: configuration.multicastPort)

        // Offloads are optional: a kernel without them refuses the option.
        let udp = Int32(RC_SOL_UDP)
        var segmentation = false
        if configuration.segmentationOffload {
            segmentation = (try? unicast.setOption(udp, Int32(RC_UDP_SEGMENT), to: Int32(0), "UDP_SEGMENT")) != nil
        }
        var receiveOffload = false
        if configuration.receiveOffload {
            receiveOffload = [unicast, multicast].allSatisfy {
                (try? $0.setOption(udp, Int32(RC_UDP_GRO), to: on, "UDP_GRO")) != nil
            }
            if !receiveOffload {
                for socket in [unicast, multicast] { try? socket.setOption(udp, Int32(RC_UDP_GRO), to: Int32(0), "UDP_GRO") }
            }
        }

        return SetUp(
            localEndpoint: try unicast.localAddress().endpoint,
            segmentation: segmentation,
            receiveOffload: receiveOffload,
            receiveBufferSize: Int(multicast.intOption(SOL_SOCKET, SO_RCVBUF) ?? 0))
    }

    deinit {
        close()
        pollSet.deallocate()
    }

    // MARK: Groups

    public func join(_ group: GroupAddress) throws(TransportError) {
        let operation = "join \(group)"
        guard !isClosed else { throw .closed(operation) }
        guard let address = group.ipv4, IPv4.isMulticast(address) else {
            throw TransportError(operation, reason: "not an IPv4 multicast group")
        }
        guard group.port == configuration.multicastPort else {
            throw TransportError(
                operation, reason: "the group's port is not the cluster's multicast port \(configuration.multicastPort)")
        }
        guard !joined.contains(group) else { return }
        do {
            try multicast.membership(group: address, interface: interfaceAddress, drop: false)
        } catch {
            var reason = error.reason
            if error.code == ENOBUFS { reason += " (see sysctl net.ipv4.igmp_max_memberships)" }
            throw TransportError(operation, code: error.code, reason: reason)
        }
        joined.insert(group)
    }

    public func leave(_ group: GroupAddress) throws(TransportError) {
        guard !isClosed, let address = group.ipv4, joined.contains(group) else { return }
        do {
            try multicast.membership(group: address, interface: interfaceAddress, drop: true)
        } catch {
            throw TransportError("leave \(group)", code: error.code, reason: error.reason)
        }
        joined.remove(group)
    }

    /// The groups joined so far.
    public var joinedGroups: Set<GroupAddress> { joined }

    // MARK: Sending

    /// A plain buffer (UDP sends from any memory), from `buffers`: a chunk buffer released
    /// after a put or a get is reused for the next, already mapped.
    public func allocate(count: Int) throws(TransportError) -> PayloadBuffer {
        guard count >= 0 else { throw TransportError("allocate", reason: "negative size \(count)") }
        return buffers.buffer(count: count)
    }

    /// Sends the batch with as few `sendmmsg` calls as its size and `sendBatchSize` allow,
    /// and empties it (also when it throws).
    ///
    /// Throws, before sending anything, if a datagram exceeds `maxDatagramSize` or has no
    /// IPv4 destination; throws if the socket is unusable. Datagrams the kernel refuses
    /// (no route, buffers still full after bounded waiting) are dropped and counted in
    /// `counters.sendErrors`, as a network would drop them.
    public func send(_ batch: inout SendBatch) throws(TransportError) {
        defer { batch.removeAll() }
        guard !isClosed else { throw .closed("send") }
        for (i, entry) in batch.entries.enumerated() {
            let size = entry.headLength + entry.body.count
            guard size <= maxDatagramSize else {
                throw TransportError("send", reason: "datagram \(i) has \(size) bytes, more than \(maxDatagramSize)")
            }
            guard entry.destination.socketAddress != nil else {
                throw TransportError("send", reason: "datagram \(i): \(entry.destination) is not an IPv4 destination")
            }
        }

        var next = 0
        var waits = 0
        while next < batch.count {
            let messageCount = sendVector.load(batch, from: next, segmenting: segmentationOffloadActive)
            let sent = rc_sendmmsg(unicast.fd, sendVector.messages, UInt32(messageCount), 0)
            counters.sendCalls += 1
            if sent > 0 {
                for i in 0..<Int(sent) { next += account(sendVector.info[i]) }
                waits = 0
                continue
            }
            let code = errno
            let first = sendVector.info[0]
            switch code {
            case EINTR:
                continue
            case EAGAIN, ENOBUFS:
                guard waits < Self.sendRetryLimit else {
                    counters.sendErrors += UInt64(batch.count - next)
                    return
                }
                waits += 1
                waitForSendSpace(bufferFull: code == EAGAIN)
            case _ where first.segmented && (code == EIO || code == EINVAL):
                // The route or device cannot segment: send datagram by datagram from now on.
                segmentationOffloadActive = false
            case EBADF, ENOTSOCK, EFAULT:
                throw .system("sendmmsg", errno: code)
            default:
                // Dropped, as the network would drop it (no route, refused, ...).
                counters.sendErrors += UInt64(first.datagrams)
                next += first.datagrams
            }
        }
    }

    /// Counts a sent message and returns its datagrams.
    private func account(_ message: SendVector.MessageInfo) -> Int {
        counters.datagramsSent += UInt64(message.datagrams)
        counters.bytesSent += UInt64(message.bytes)
        if message.multicast {
            counters.multicastDatagramsSent += UInt64(message.datagrams)
            counters.multicastBytesSent += UInt64(message.bytes)
        }
        return message.datagrams
    }

    /// Waits up to a millisecond for send buffer space (`bufferFull`) or for the device
    /// queue to drain.
    private func waitForSendSpace(bufferFull: Bool) {
        if bufferFull {
            var writable = pollfd(fd: unicast.fd, events: Int16(POLLOUT), revents: 0)
            _ = poll(&writable, 1, 1)
        } else {
            _ = poll(nil, 0, 1)
        }
    }

    // MARK: Receiving

    public func receive(
        timeout: Duration?, _ handler: (ReceivedDatagram) -> Void
    ) throws(TransportError) -> Int {
        guard !isClosed else { throw .closed("receive") }
        for i in 0..<3 { pollSet[i].revents = 0 }
        let ready = poll(pollSet, 3, Self.pollMilliseconds(timeout))
        if ready < 0 {
            let code = errno
            if code == EINTR { return 0 }
            throw .system("poll", errno: code)
        }
        if ready == 0 { return 0 }

        if pollSet[2].revents != 0 { wakeEvent.drain() }
        var delivered = 0
        let input = Int16(POLLIN) | Int16(POLLERR)
        if pollSet[0].revents & input != 0 { delivered += try receiveBatches(from: unicast, handler) }
        if pollSet[1].revents & input != 0 { delivered += try receiveBatches(from: multicast, handler) }
        return delivered
    }

    /// `recvmmsg` calls per socket and `receive` while they keep filling the slab: saves
    /// `poll` calls under load without starving the other socket.
    static let receiveRounds = 4

    /// Takes up to `receiveRounds` batches from `socket`, handing their datagrams to `handler`.
    private func receiveBatches(
        from socket: UDPSocket, _ handler: (ReceivedDatagram) -> Void
    ) throws(TransportError) -> Int {
        var delivered = 0
        for _ in 0..<Self.receiveRounds {
            let (messages, handed) = try receiveBatch(from: socket, handler)
            delivered += handed
            if messages < receiveSlab.capacity { break }
        }
        return delivered
    }

    /// Takes one `recvmmsg` batch from `socket` and hands its datagrams to `handler`;
    /// returns the messages received and the datagrams handed over.
    private func receiveBatch(
        from socket: UDPSocket, _ handler: (ReceivedDatagram) -> Void
    ) throws(TransportError) -> (messages: Int, delivered: Int) {
        receiveSlab.prepare(control: receiveOffloadActive)
        let count = rc_recvmmsg(
            socket.fd, receiveSlab.messages, UInt32(receiveSlab.capacity), Int32(RC_MSG_DONTWAIT), nil)
        if count < 0 {
            let code = errno
            switch code {
            case EBADF, ENOTSOCK, EFAULT, EINVAL: throw .system("recvmmsg", errno: code)
            default: return (0, 0)  // EAGAIN, EINTR, or a network error reported on the socket
            }
        }
        counters.receiveCalls += 1

        var delivered = 0
        for i in 0..<Int(count) {
            if receiveSlab.isTruncated(i) {
                counters.truncatedReceives += 1
                continue
            }
            let bytes = receiveSlab.bytes(i)
            let source = receiveSlab.source(i)
            let segment = receiveOffloadActive ? receiveSlab.segmentSize(i) : 0
            guard segment > 0, segment < bytes.count else {
                delivered += deliver(bytes, from: source, handler)
                continue
            }
            var offset = 0
            while offset < bytes.count {
                let end = min(offset + segment, bytes.count)
                delivered += deliver(UnsafeRawBufferPointer(rebasing: bytes[offset..<end]), from: source, handler)
                offset = end
            }
        }
        return (Int(count), delivered)
    }

    /// Hands one datagram to `handler` unless it exceeds `maxDatagramSize`; returns 1 if handed.
    private func deliver(
        _ bytes: UnsafeRawBufferPointer, from source: Endpoint, _ handler: (ReceivedDatagram) -> Void
    ) -> Int {
        guard bytes.count <= maxDatagramSize else {
            counters.truncatedReceives += 1
            return 0
        }
        counters.datagramsReceived += 1
        counters.bytesReceived += UInt64(bytes.count)
        handler(ReceivedDatagram(bytes: bytes, source: source))
        return 1
    }

    /// `poll`'s timeout: -1 for none, else milliseconds rounded up.
    static func pollMilliseconds(_ timeout: Duration?) -> Int32 {
        guard let timeout else { return -1 }
        let nanoseconds = timeout.nanoseconds
        guard nanoseconds > 0 else { return 0 }
        return Int32(clamping: (nanoseconds + 999_999) / 1_000_000)
    }

    public func wake() {
        wakeEvent.signal()
    }

    /// Leaves every group and closes the sockets. Idempotent; `wake()` stays safe afterwards.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        for group in joined {
            if let address = group.ipv4 {
                try? multicast.membership(group: address, interface: interfaceAddress, drop: true)
            }
        }
        joined.removeAll()
        unicast.close()
        multicast.close()
    }
}
