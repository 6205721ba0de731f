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
/// domains where possible, earliest start first (ties by server id). The transfer starts at
/// the earliest time every chosen member's window holds it from start to end (a window all
/// of them have booked). When the windows have no such time in common, the earliest offers
/// are chosen and the transfer starts at the latest of their starts (members then book it
/// anew, or decline). Distinct failure domains come before an earlier start.
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
        let starts = Array(Set(candidates.map(\.value.start))).sorted()
        // Distinct failure domains first; within that, a start every window holds.
        for distinctZonesOnly in [true, false] {
            for start in starts {
                let usable = candidates.filter { $0.value.start <= start && fits(input, start: start, in: $0.value) }
                guard let chosen = select(usable.map(\.key), needed: needed, distinctZonesOnly: distinctZonesOnly,
                                          haveDesignated: haveDesignated, designated: designated, input: input)
                else { continue }
                let window = transferWindow(chosen, start: start, input)
                if chosen.allSatisfy({ window.end <= input.offers[$0]!.end }) { return .transfer(members: chosen, window: window) }
            }
            // No start suits every window: the earliest offers, from the latest of their
            // starts; a member whose window ends too early books the transfer anew, or declines.
            if let chosen = select(candidates.map(\.key), needed: needed, distinctZonesOnly: distinctZonesOnly,
                                   haveDesignated: haveDesignated, designated: designated, input: input) {
                let start = chosen.map { input.offers[$0]!.start }.max()!
                return .transfer(members: chosen, window: transferWindow(chosen, start: start, input))
            }
        }
        return .insufficient
    }

    /// The transfer to `chosen` from `start`, at the slowest of their rates (capped by the
    /// sender's).
    private func transferWindow(_ chosen: [NodeID], start: Instant, _ input: RendezvousInput) -> RendezvousWindow {
        let rate = max(1, min(input.maxRate, chosen.map { input.offers[$0]!.rate }.min()!))
        return RendezvousWindow(start: start, duration: transferTime(input.length, rate), rate: rate)
    }

    /// Whether a transfer starting at `start` at the window's rate (capped by the sender's)
    /// ends within the window.
    private func fits(_ input: RendezvousInput, start: Instant, in window: RendezvousWindow) -> Bool {
        start + transferTime(input.length, max(1, min(input.maxRate, window.rate))) <= window.end
    }

    private func transferTime(_ length: UInt64, _ rate: UInt64) -> Duration {
        .nanoseconds(Int64(Double(length) / Double(rate) * 1e9) + 1)
    }

    /// `needed` of `usable` (in order of preference): first in distinct zones, then (unless
    /// `distinctZonesOnly`) any zone, with a designated member among them; nil if impossible.
    private func select(
        _ usable: [NodeID], needed: Int, distinctZonesOnly: Bool, haveDesignated: Bool, designated: Set<NodeID>,
        input: RendezvousInput
    ) -> [NodeID]? {
        guard usable.count >= needed else { return nil }
        var usedZones = Set(input.alreadyStored.compactMap { input.zones[$0] })
        var chosen: [NodeID] = []
        for node in usable where chosen.count < needed {
            let zone = input.zones[node] ?? "\(node)"
            if !usedZones.contains(zone) {
                chosen.append(node)
                usedZones.insert(zone)
            }
        }
        if !distinctZonesOnly {
            for node in usable where chosen.count < needed && !chosen.contains(node) { chosen.append(node) }
        }
        guard chosen.count == needed else { return nil }
        // At least one designated replica overall.
        if !haveDesignated && !chosen.contains(where: designated.contains) {
            guard let firstDesignated = usable.first(where: designated.contains) else { return nil }
            let replaced = chosen[chosen.count - 1]
            chosen[chosen.count - 1] = firstDesignated
            if distinctZonesOnly {
                // The swap must keep the zones distinct.
                let zones = chosen.map { input.zones[$0] ?? "\($0)" } + input.alreadyStored.compactMap { input.zones[$0] }
                if Set(zones).count != zones.count { chosen[chosen.count - 1] = replaced; return nil }
            }
        }
        return chosen.sorted()
    }
}
