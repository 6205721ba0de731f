import ReplicastWire

/// The multicast addresses of one Negotiating Group: for each network the storage servers are
/// attached to, the group's address and a companion address for notifications (servers
/// wishing to hear of new named chunks in the row's hash range).
public struct MulticastAddressSet: Hashable, Sendable {
    /// The Negotiating Group address on each network, in network order.
    public var negotiating: [GroupAddress]
    /// The notification address on each network, in network order.
    public var notification: [GroupAddress]

    public init(negotiating: [GroupAddress], notification: [GroupAddress]) {
        self.negotiating = negotiating
        self.notification = notification
    }
}
