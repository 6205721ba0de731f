/// The multicast address plan of one network the storage servers are attached to.
///
/// Each base starts a contiguous IPv4 range: row `r` uses `negotiatingBase + r` and
/// `notificationBase + r`; Rendezvous Groups are drawn from `rendezvousBase` onwards.
/// All ranges of all networks must be disjoint.
public struct NetworkConfiguration: Hashable, Sendable, Codable {
    /// First Negotiating Group address (row 0), e.g. "239.77.0.0".
    public var negotiatingBase: String
    /// First notification address (row 0), e.g. "239.79.0.0".
    public var notificationBase: String
    /// First Rendezvous Group address, e.g. "239.78.0.0".
    public var rendezvousBase: String

    public init(negotiatingBase: String, notificationBase: String, rendezvousBase: String) {
        self.negotiatingBase = negotiatingBase
        self.notificationBase = notificationBase
        self.rendezvousBase = rendezvousBase
    }

    /// The default plan of a single-network cluster: 239.77/16 negotiating, 239.78/16
    /// rendezvous, 239.79/16 notification.
    public static let primary = NetworkConfiguration(
        negotiatingBase: "239.77.0.0", notificationBase: "239.79.0.0", rendezvousBase: "239.78.0.0")
}
