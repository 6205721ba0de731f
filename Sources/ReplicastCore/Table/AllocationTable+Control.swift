import ReplicastWire

extension AllocationTable {
    /// The cluster's control group (docs/PROTOCOL.md § 15.1): the multicast group every
    /// server joins to exchange heartbeats and clients send Membership Queries to. It is the
    /// first address after the first network's notification range (`notificationBase` +
    /// `rowCount`: 239.79.1.0 with the defaults), at the table's port; if that address lies
    /// in another configured range or past 239.255.255.255, the address just before the
    /// notification range (`notificationBase` − 1) instead.
    public var controlGroup: GroupAddress {
        let port = configuration.port
        guard let plans = try? configuration.validated(), let first = plans.first else {
            return GroupAddress(ipv4: 239, 79, 1, 0, port: port)
        }
        let ranges = plans.flatMap { [$0.negotiating, $0.notification, $0.rendezvous] }
        let after = UInt64(first.notification.first) + UInt64(first.notification.count)
        let candidate: UInt32
        if after <= UInt64(MulticastRange.highest), !ranges.contains(where: { $0.contains(UInt32(after)) }) {
            candidate = UInt32(after)
        } else {
            candidate = first.notification.first - 1
        }
        return GroupAddress(
            ipv4: UInt8(candidate >> 24), UInt8(candidate >> 16 & 0xFF), UInt8(candidate >> 8 & 0xFF),
            UInt8(candidate & 0xFF), port: port)
    }
}
