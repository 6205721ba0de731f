/// A node's four bandwidth allocations (the patent's "unsolicited" and "reserved"
/// traffic, each direction), bytes per second.
///
/// Reserved traffic (rendezvous transfers) is booked before it is sent, so it never
/// exceeds its allocation; unsolicited traffic (requests and responses) is not, so it is
/// paced at the sender and the buffers on the way are provisioned for it.
public struct BandwidthAllocation: Sendable, Equatable {
    /// Unsolicited inbound: requests and responses arriving unannounced; what the node's
    /// receive buffers (and its switch port's) are provisioned for.
    public var unsolicitedInbound: UInt64
    /// Unsolicited outbound: the most the node sends unannounced; requests beyond it wait
    /// (`RequestPacer`).
    public var unsolicitedOutbound: UInt64
    /// Reserved outbound: the rate of the rendezvous transfers the node sends.
    public var reservedOutbound: UInt64
    /// Reserved inbound: the reservations a server grants never sum above it; the rate a
    /// client asks for its gets.
    public var reservedInbound: UInt64

    public init(unsolicitedInbound: UInt64, unsolicitedOutbound: UInt64, reservedOutbound: UInt64, reservedInbound: UInt64) {
        self.unsolicitedInbound = unsolicitedInbound
        self.unsolicitedOutbound = unsolicitedOutbound
        self.reservedOutbound = reservedOutbound
        self.reservedInbound = reservedInbound
    }

    /// A link of `bandwidth` bytes per second each way, `reservedShare` of it reserved and
    /// the rest unsolicited.
    public static func split(bandwidth: UInt64, reservedShare: Double) -> BandwidthAllocation {
        let reserved = UInt64(Double(bandwidth) * min(max(reservedShare, 0), 1))
        let unsolicited = bandwidth - reserved
        return BandwidthAllocation(
            unsolicitedInbound: unsolicited, unsolicitedOutbound: unsolicited, reservedOutbound: reserved,
            reservedInbound: reserved)
    }

    /// The default: a 20 Gbit/s link, 80 % reserved.
    public static let standard = split(bandwidth: 2_500_000_000, reservedShare: 0.8)
}
