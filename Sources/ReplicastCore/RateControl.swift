import ReplicastWire

/// A rate cap that backs off when transfers at it come back incomplete and recovers while
/// they complete: additive increase, multiplicative decrease (TCP's AIMD), on rendezvous
/// transfers instead of a congestion window.
///
/// The control law (docs/PROTOCOL.md § 11.8, "Link rates and congestion"), for a cap whose
/// `ceiling` is the configured reserved rate:
/// - **decrease**: a transfer sent at rate `r` came back incomplete (a Payload NAK with code
///   `incomplete`, or no ACK by the end of its round): `cap ← max(floor, min(cap, r) / 2)`.
///   A loss of a transfer sent faster than the cap already is (`r > cap`) changes nothing:
///   it left before the last decrease, which already answered the loss episode it belongs to
///   (the transfers in flight when a link overflows all lose datagrams; one halving for all).
/// - **increase**: a transfer completed (a Payload ACK): `cap ← min(ceiling, cap + step)`.
/// - `floor = max(ceiling / 64, 1)`, `step = max(ceiling / 64, 1)`: from the floor back to
///   the ceiling takes 63 completed transfers; from half the ceiling, 32.
///
/// The cap never goes below the floor, so a misconfigured rate (a link slower than its
/// configuration says) costs throughput but never starves a transfer: at worst a 1 Gbit/s
/// node configured as 64 Gbit/s sends at 1 Gbit/s after six halvings.
public struct RateCap: Sendable, Equatable {
    /// The divisor of the ceiling that gives the floor and the additive step.
    public static let divisor: UInt64 = 64

    /// The configured rate, bytes per second: the cap never exceeds it.
    public let ceiling: UInt64
    /// The rate allowed now, bytes per second.
    public private(set) var current: UInt64
    /// Decreases so far (for logs and tests).
    public private(set) var decreases = 0

    public init(ceiling: UInt64) {
        self.ceiling = max(ceiling, 1)
        self.current = self.ceiling
    }

    /// The lowest the cap goes.
    public var floor: UInt64 { max(ceiling / Self.divisor, 1) }
    /// What each completed transfer adds back.
    public var step: UInt64 { max(ceiling / Self.divisor, 1) }
    /// Whether the cap is below the ceiling.
    public var isBackedOff: Bool { current < ceiling }

    /// A transfer sent at `rate` came back incomplete. Returns whether the cap went down.
    @discardableResult
    public mutating func incomplete(at rate: UInt64) -> Bool {
        guard rate <= current else { return false }
        let lowered = max(floor, min(current, rate) / 2)
        guard lowered < current else { return false }
        current = lowered
        decreases += 1
        return true
    }

    /// A transfer completed: the cap recovers one step.
    public mutating func completed() {
        current = min(ceiling, current + step)
    }
}

/// A client's rate control: the reserved outbound rate it never exceeds (all its transfers
/// together, booked in `egress`), and a `RateCap` per server, lowered by that server's
/// incomplete transfers.
struct ClientRateControl: Sendable {
    /// The client's reserved outbound rate: every cap's ceiling.
    let ceiling: UInt64
    /// Per-server caps (a server without one is at the ceiling).
    var caps: [NodeID: RateCap] = [:]
    /// The client's outbound transfers, booked so that their rates never sum above the
    /// reserved outbound rate.
    var egress: IngressCalendar
    /// The rate of each put's transfer in flight, by sequence: what a loss is charged at.
    var transferRates: [UInt32: UInt64] = [:]

    init(reservedOutbound: UInt64) {
        ceiling = max(reservedOutbound, 1)
        egress = IngressCalendar(reservedRate: ceiling)
    }

    /// The rate `server` may be sent at now.
    func cap(_ server: NodeID) -> UInt64 { caps[server]?.current ?? ceiling }

    mutating func incomplete(_ server: NodeID, at rate: UInt64) {
        caps[server, default: RateCap(ceiling: ceiling)].incomplete(at: rate)
    }

    mutating func completed(_ server: NodeID) {
        guard caps[server] != nil else { return }
        caps[server]!.completed()
        if !caps[server]!.isBackedOff { caps[server] = nil }
    }

    /// An offered window as the client may use it: at most `server`'s cap, lasting as much
    /// longer as `length` bytes take at the lower rate (the member re-books it when told).
    func capped(_ window: RendezvousWindow, of server: NodeID, length: UInt64) -> RendezvousWindow {
        let cap = cap(server)
        guard window.rate > cap else { return window }
        let extra = transferTime(length, cap) - transferTime(length, window.rate)
        return RendezvousWindow(start: window.start, duration: window.duration + extra, rate: cap)
    }
}

/// How long `length` bytes take at `rate` bytes per second (rounded up by a nanosecond).
func transferTime(_ length: UInt64, _ rate: UInt64) -> Duration {
    .nanoseconds(Int64(Double(length) / Double(max(rate, 1)) * 1e9) + 1)
}

// MARK: - Client hooks

extension ClientCore {
    /// The caps on this client's transfers now, by server (servers at the ceiling are left
    /// out).
    public var serverRateCaps: [NodeID: RateCap] { rates.caps }

    /// The Maximum Delivery Rate to propose to the Negotiating Group of `row`: the reserved
    /// outbound rate, no higher than the lowest cap among the row's members. The members
    /// offer windows sized for that rate, so whichever are chosen, the transfer fits the
    /// windows they booked (an offer faster than its member's cap would have to be booked
    /// anew, longer, in a calendar that other clients fill meanwhile: declined, retried).
    func proposedRate(row: RowID, consensus: ConsensusMode) -> UInt64 {
        let bound = table.members(of: row).map { rates.cap($0) }.min()
        return max(1, min(configuration.maxDeliveryRate, bound ?? rates.ceiling))
    }

    /// Client consensus: the offers as the client may use them, each within its server's cap.
    func cappedOffers(_ offers: [NodeID: RendezvousWindow], length: UInt64) -> [NodeID: RendezvousWindow] {
        offers.reduce(into: [:]) { $0[$1.key] = rates.capped($1.value, of: $1.key, length: length) }
    }

    /// The transfer of put `seq` as this client sends it: `window` at its rate (never above
    /// the reserved outbound rate), from where the client's other transfers leave room for
    /// it, booked in the egress calendar. `window` itself when it fits.
    mutating func bookEgress(_ window: RendezvousWindow, put seq: UInt32, now: Instant) -> RendezvousWindow {
        _ = rates.egress.expire(now: now)
        guard let t = puts[seq] else { return window }
        let length = UInt64(t.payload.count)
        let rate = max(1, min(window.rate, rates.ceiling))
        var booked = RendezvousWindow(start: window.start, duration: transferTime(length, rate), rate: rate)
        if !rates.egress.canReserve(booked, replacing: t.proposalID) {
            rates.egress.release(t.proposalID)
            booked = rates.egress.earliestWindow(notBefore: window.start, bytes: length, maxRate: rate)
        }
        rates.egress.reserve(t.proposalID, booked, expiry: booked.end + configuration.ackGrace)
        rates.transferRates[seq] = booked.rate
        return booked
    }

    /// Client consensus: the chosen transfer, moved to where this client may send it.
    mutating func withinEgress(_ decision: RendezvousDecision, put seq: UInt32, now: Instant) -> RendezvousDecision {
        guard case .transfer(let members, let window) = decision else { return decision }
        return .transfer(members: members, window: bookEgress(window, put: seq, now: now))
    }

    /// A chosen member answered put `proposal`'s transfer: an ACK recovers its cap, a NAK
    /// `incomplete` halves it.
    mutating func notePayloadAnswer(_ proposal: RequestID, from server: NodeID, code: NakCode?) {
        guard let seq = current(proposal), let t = puts[seq], case .transferring(let members) = t.phase,
              members.contains(server), !t.acked.contains(server), !t.nakked.contains(server),
              let rate = rates.transferRates[seq]
        else { return }
        switch code {
        case nil: rates.completed(server)
        case .incomplete?: rates.incomplete(server, at: rate)
        case _?: break  // not congestion (a bad hash, a full store, a declined window)
        }
    }

    /// Put `seq`'s transfer round ended: members that never answered count as incomplete
    /// (in cluster consensus, members the Consensus ACK does not list), and the egress
    /// booking goes.
    mutating func noteRoundEnded(_ seq: UInt32) {
        guard let t = puts[seq] else { return }
        if case .transferring(let members) = t.phase, let rate = rates.transferRates[seq] {
            for m in members where !t.acked.contains(m) && !t.nakked.contains(m) {
                rates.incomplete(m, at: rate)
            }
            if t.consensus == .cluster { for m in members where t.acked.contains(m) { rates.completed(m) } }
        }
        rates.transferRates[seq] = nil
        rates.egress.release(t.proposalID)
    }
}

// MARK: - Server hooks

extension ServerCore {
    /// The rate this server offers now (its reserved inbound rate, less standing
    /// reservations, lowered by incomplete transfers it NAKed).
    public var inboundRateCap: UInt64 { inboundCap.current }

    /// The calendar new offers are found in: the reservations held, against the cap
    /// instead of the reserved inbound rate (the bookings of windows already granted stay
    /// valid against the allocation: a decrease slows what comes next).
    var offerCalendar: IngressCalendar {
        guard inboundCap.isBackedOff else { return calendar }
        var view = calendar
        view.reservedRate = min(calendar.reservedRate, inboundCap.current)
        return view
    }

    /// Put `key`'s transfer came in incomplete (this server NAKs it): offer less.
    mutating func inboundTransferIncomplete(_ key: RequestID) {
        let rate = calendar.reservations.first { $0.key == key }?.window.rate ?? puts[key]?.offer?.rate ?? inboundCap.current
        inboundCap.incomplete(at: rate)
    }

    /// A put's transfer came in complete: offer a step more, up to the ceiling.
    mutating func inboundTransferCompleted() {
        inboundCap.completed()
    }

    /// The window a get's delivery goes in: the requester's window, never faster than this
    /// server's reserved outbound rate nor than the requester's reception rate.
    func deliveryWindow(_ window: RendezvousWindow, request: GetRequest?) -> RendezvousWindow {
        var rate = min(window.rate, configuration.reservedOutboundRate)
        if let reception = request?.receptionWindows.first?.rate { rate = min(rate, reception) }
        rate = max(rate, 1)
        return rate == window.rate ? window : RendezvousWindow(start: window.start, duration: window.duration, rate: rate)
    }
}
