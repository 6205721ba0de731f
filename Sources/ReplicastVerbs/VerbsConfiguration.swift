/// How a `VerbsTransport` picks its device and sizes its queues.
public struct VerbsConfiguration: Sendable {
    /// The verbs device, e.g. `rxe0`; nil picks the first device with an active port.
    public var deviceName: String?
    /// The port (1-based); nil picks the device's first active port.
    public var port: UInt8?
    /// The source GID index; nil picks the port's first IPv4-mapped (RoCE v2) GID.
    public var gidIndex: Int32?
    /// The local IPv4 address (host order) the rdma_cm id binds to; nil takes it from the GID.
    public var localIPv4: UInt32?
    /// Receive work requests kept posted (each one slot of path MTU + 40 bytes). UD drops what
    /// arrives when none is posted, so the queue must hold what can arrive while the receiving
    /// loop is busy: 4096 slots hold 16 MiB at a 4096-byte MTU, four 1 MiB transfers in flight
    /// to each of several groups (17 MB registered per transport). With 512, a member on a
    /// loaded soft-RoCE VM dropped datagrams of unpaced 1 MiB transfers.
    public var receiveDepth: Int = 4096
    /// Send work requests in flight at most (each one slot of path MTU bytes for heads).
    public var sendDepth: Int = 256
    /// Every `signalInterval`-th send (and the last of each `send` call) asks for a completion.
    public var signalInterval: Int = 16
    /// Queue pairs a large `send` is spread over, each posting from its own thread (the
    /// transport's, and `sendLanes - 1` lane threads that `send` does not wait for).
    /// Soft-RoCE does a send's protocol work, including every local member's receive, in the
    /// posting thread's system call, so one thread bounds a transfer by one core; lanes
    /// spread it over several. On hardware the NIC does that work, and 1 (no lane thread)
    /// suffices.
    public var sendLanes: Int = 1
    /// Datagrams up to this size are posted inline when the device allows it.
    public var maxInlineData: Int = 128
    /// Completions taken per `ibv_poll_cq` call; received slots are reposted per such batch.
    public var pollBatch: Int = 32
    /// While traffic flows (the previous `receive` returned datagrams), how long `receive`
    /// sleeps for a batch to gather before it polls again, instead of arming the completion
    /// queue and waking per datagram: software completion moderation, as `ibv_modify_cq`'s
    /// period on devices that have it. Zero disables it. It delays a datagram arriving
    /// mid-transfer by at most this much, and the receive queue must hold what arrives
    /// meanwhile (`receiveDepth` slots).
    public var completionModeration: Duration = .microseconds(200)
    /// How long `receive` busy-polls before it arms the completion queue and sleeps. Worth it
    /// when the polling thread has a core to itself; on shared cores it takes CPU from the
    /// senders and the kernel.
    public var busyPoll: Duration = .microseconds(50)
    /// Bytes of released `allocate(count:)` buffers kept registered for reuse at most: a
    /// client's put window and a node's gets in flight, in 1 MiB chunks, with room to spare.
    public var maxPooledBufferBytes: Int = 64 << 20
    /// How long `join` waits for the multicast join to complete.
    public var joinTimeout: Duration = .seconds(5)
    /// How long `send` waits for send-queue space, or `leave` for sends in flight.
    public var sendStallTimeout: Duration = .seconds(2)
    /// Address handles cached for unicast peers at most.
    public var maxPeerAddressHandles: Int = 4096
    /// Caps `maxDatagramSize` below the path MTU (nil: the path MTU).
    public var maxDatagramSize: Int?

    public init(deviceName: String? = nil) {
        self.deviceName = deviceName
    }
}
