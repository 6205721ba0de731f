import ReplicastWire

/// What the simulator keeps for a node besides its protocol core: its link in each
/// direction, its reassembly, its pending timer and its incarnation (bumped by a crash, so
/// that events meant for the previous one are ignored).
struct NodeAttachment {
    var egress: LinkQueue
    var ingress: LinkQueue
    var reassembly: SimulatedReassembly
    var incarnation = 0
    var isUp = true
    /// The time of the timer event currently scheduled for the core, if any.
    var timerAt: Instant?

    init(links: LinkConfiguration) {
        egress = LinkQueue(bandwidth: links.bandwidth, bufferBytes: links.egressBuffer)
        ingress = LinkQueue(bandwidth: links.bandwidth, bufferBytes: links.ingressBuffer)
        reassembly = SimulatedReassembly(timeout: links.reassemblyTimeout)
    }

    /// Loses every volatile state (a crash): the next incarnation starts clean.
    mutating func crash(at now: Instant) {
        incarnation += 1
        isUp = false
        timerAt = nil
        reassembly = SimulatedReassembly(timeout: reassembly.timeout)
        egress.reset(at: now)
    }
}
