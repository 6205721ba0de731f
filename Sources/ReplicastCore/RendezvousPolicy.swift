import ReplicastWire

/// Everything a policy sees to choose a Rendezvous Group for a put.
public struct RendezvousInput: Sendable {
    /// Replicas wanted.
    public var replicas: Int
    /// The row's designated members, in table order.
    public var designated: [NodeID]
    /// Failure domain of every server that answered.
    public var zones: [NodeID: String]
    /// Servers that already store the chunk (Content Already Stored, or ACKed earlier).
    public var alreadyStored: [NodeID]
    /// Servers that proposed a rendezvous, with their windows.
    public var offers: [NodeID: RendezvousWindow]
    /// Bytes to transfer.
    public var length: UInt64
    /// The client's maximum delivery rate.
    public var maxRate: UInt64

    public init(
        replicas: Int, designated: [NodeID], zones: [NodeID: String], alreadyStored: [NodeID],
        offers: [NodeID: RendezvousWindow], length: UInt64, maxRate: UInt64
    ) {
        self.replicas = replicas
        self.designated = designated
        self.zones = zones
        self.alreadyStored = alreadyStored
        self.offers = offers
        self.length = length
        self.maxRate = maxRate
    }
}

/// A policy's choice.
public enum RendezvousDecision: Sendable, Equatable {
    /// Enough replicas exist already: no transfer.
    case sufficient
    /// Send to these members in this window.
    case transfer(members: [NodeID], window: RendezvousWindow)
    /// Not enough offers to reach the wanted replicas now.
    case insufficient
}

/// Chooses the Rendezvous Group from the Put Accepts. The client uses it in client
/// consensus; every Negotiating Group member uses it in cluster consensus, so it must be a
/// pure function of its input (same input, same answer, on every node).
public protocol RendezvousPolicy: Sendable {
    func choose(_ input: RendezvousInput) -> RendezvousDecision
}

/// The default policy: K replicas, at least one on a designated member, distinct failure
/// domains where possible, earliest windows first (ties by server id).
public struct DefaultRendezvousPolicy: RendezvousPolicy {
    public init() {}

    public func choose(_ input: RendezvousInput) -> RendezvousDecision {
        let stored = Set(input.alreadyStored)
        let designated = Set(input.designated)
        let haveDesignated = !stored.isDisjoint(with: designated)
        if stored.count >= input.replicas && haveDesignated { return .sufficient }

        let needed = max(input.replicas - stored.count, haveDesignated ? 0 : 1)
        let candidates = input.offers
            .filter { !stored.contains($0.key) }
            .sorted { ($0.value.start, $0.key) < ($1.value.start, $1.key) }
        guard candidates.count >= needed else { return .insufficient }

        // Greedy by earliest window, first in distinct zones, then any zone.
        var usedZones = Set(input.alreadyStored.compactMap { input.zones[$0] })
        var chosen: [NodeID] = []
        for (node, _) in candidates where chosen.count < needed {
            let zone = input.zones[node] ?? "\(node)"
            if !usedZones.contains(zone) {
                chosen.append(node)
                usedZones.insert(zone)
            }
        }
        for (node, _) in candidates where chosen.count < needed && !chosen.contains(node) {
            chosen.append(node)
        }
        // At least one designated replica overall.
        if !haveDesignated && !chosen.contains(where: designated.contains) {
            guard let firstDesignated = candidates.first(where: { designated.contains($0.key) })?.key else {
                return .insufficient
            }
            chosen[chosen.count - 1] = firstDesignated
        }
        chosen.sort()
        let windows = chosen.compactMap { input.offers[$0] }
        let start = windows.map(\.start).max()!
        let rate = max(1, min(input.maxRate, windows.map(\.rate).min()!))
        let seconds = Double(input.length) / Double(rate)
        let window = RendezvousWindow(start: start, duration: .nanoseconds(Int64(seconds * 1e9) + 1), rate: rate)
        return .transfer(members: chosen, window: window)
    }
}
