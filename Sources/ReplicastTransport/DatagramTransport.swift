import ReplicastWire

/// One received datagram, as a completion hands it over: the bytes lie in the transport's
/// registered receive slab and are valid only during the handler call.
public struct ReceivedDatagram {
    /// The datagram's bytes (for verbs, after the 40-byte GRH).
    public let bytes: UnsafeRawBufferPointer
    /// Who sent it: reply here to answer.
    public let source: Endpoint

    public init(bytes: UnsafeRawBufferPointer, source: Endpoint) {
        self.bytes = bytes
        self.source = source
    }
}

/// Counters every transport keeps, for benchmarks and logs.
public struct TransportCounters: Sendable, Equatable {
    /// Datagrams and bytes handed to the kernel or device.
    public var datagramsSent: UInt64 = 0
    public var bytesSent: UInt64 = 0
    /// Of those, datagrams and bytes sent to a multicast group.
    public var multicastDatagramsSent: UInt64 = 0
    public var multicastBytesSent: UInt64 = 0
    /// Datagrams and bytes received.
    public var datagramsReceived: UInt64 = 0
    public var bytesReceived: UInt64 = 0
    /// Send / receive calls (one per batch): datagrams per call shows the batching.
    public var sendCalls: UInt64 = 0
    public var receiveCalls: UInt64 = 0
    /// Datagrams that could not be sent (buffer full, no route) or arrived truncated.
    public var sendErrors: UInt64 = 0
    public var truncatedReceives: UInt64 = 0

    public init() {}
}

/// The transport interface: unreliable datagrams to groups and endpoints, registered
/// buffers, batched posts and completion polling. Close to verbs on purpose: the verbs
/// transport implements it directly, the UDP fallback implements the same over sockets.
///
/// A transport is driven by one thread (its event loop); only `wake()` may be called from
/// others.
public protocol DatagramTransport: AnyObject {
    /// Largest datagram, header included, that may be posted (path MTU payload).
    var maxDatagramSize: Int { get }

    /// This participant's unicast endpoint.
    var localEndpoint: Endpoint { get }

    /// Joins a multicast group: datagrams sent to it are received from now on.
    func join(_ group: GroupAddress) throws(TransportError)

    /// Leaves a multicast group. Leaving a group not joined is not an error.
    func leave(_ group: GroupAddress) throws(TransportError)

    /// Allocates a buffer that bodies can be sent from without a copy (a registered memory
    /// region on verbs).
    func allocate(count: Int) throws(TransportError) -> PayloadBuffer

    /// Posts every datagram of `batch` (in order) and empties it.
    func send(_ batch: inout SendBatch) throws(TransportError)

    /// Waits up to `timeout` (nil: until something happens; zero: do not wait) for received
    /// datagrams, hands each to `handler`, and returns how many there were. Returns early,
    /// possibly with zero, after `wake()`.
    func receive(
        timeout: Duration?, _ handler: (ReceivedDatagram) -> Void
    ) throws(TransportError) -> Int

    /// Makes a blocked or the next `receive` return promptly. Safe from any thread.
    func wake()

    /// The counters so far.
    var counters: TransportCounters { get }

    /// Releases the transport's resources (leaves groups, closes sockets / destroys QPs).
    func close()
}
