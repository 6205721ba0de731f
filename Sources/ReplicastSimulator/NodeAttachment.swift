import ReplicastWire

/// What the simulator keeps for a node besides its driver: its link in each direction, its
/// pending timer and its incarnation (bumped by a crash, so that events meant for the
/// previous one are ignored).
struct NodeAttachment {
    var egress: LinkQueue
    var ingress: LinkQueue
    var incarnation = 0
    var isUp = true
    /// The time of the timer event currently scheduled for the driver, if any (true time).
    var timerAt: Instant?
    /// The node's own clock, which its core and driver read (it survives crashes).
    var clock: NodeClock

    /// A link of `bandwidth` bytes per second each way, with the configured buffers.
    init(links: LinkConfiguration, bandwidth: UInt64, clock: NodeClock) {
        self.clock = clock
        egress = LinkQueue(bandwidth: bandwidth, bufferBytes: links.egressBuffer)
        ingress = LinkQueue(bandwidth: bandwidth, bufferBytes: links.ingressBuffer)
    }

    /// The sequence number the current incarnation's core starts from: each incarnation has a
    /// range of its own (2^24 apart), as the runtime's random start gives a restarted node,
    /// so no peer mistakes its messages for the previous incarnation's.
    var firstSequence: UInt32 { UInt32(truncatingIfNeeded: incarnation) << 24 | 1 }

    /// Loses every volatile state (a crash): the next incarnation starts clean.
    mutating func crash(at now: Instant) {
        incarnation += 1
        isUp = false
        timerAt = nil
        egress.reset(at: now)
    }
}
