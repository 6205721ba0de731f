#if canImport(CIBVerbs)
import CIBVerbs
import ReplicastTransport
import ReplicastWire
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension VerbsTransport {
    /// Joins the IPv4 multicast group of `group` (its port is not used: membership is per
    /// IP address). Waits on this thread for RDMA_CM_EVENT_MULTICAST_JOIN and keeps the
    /// address handle, QPN and Q_Key it carries for sends to the group.
    public func join(_ group: GroupAddress) throws(TransportError) {
        try ensureOpen("join \(group)")
        let ip = try Self.multicastIPv4(group, "join")
        guard groups[ip] == nil else { return }
        do {
            try cmId!.joinMulticast(ipv4: ip)
            let deadline = ContinuousClock.now + configuration.joinTimeout
            while true {
                let left = ContinuousClock.now.duration(to: deadline)
                guard left > .zero, let event = try events!.nextEvent(timeout: left) else {
                    try? cmId!.leaveMulticast(ipv4: ip)
                    throw TransportError("join \(group)", code: ETIMEDOUT, reason: "no multicast join event in time")
                }
                switch event.kind {
                case RDMA_CM_EVENT_MULTICAST_JOIN:
                    let ud = event.udParameters
                    let handle = try AddressHandle(pd: domain!.pd, attributes: ud.ah_attr)
                    groups[ip] = JoinedGroup(handle: handle, qkey: ud.qkey, qpn: ud.qp_num)
                    return
                case RDMA_CM_EVENT_MULTICAST_ERROR, RDMA_CM_EVENT_ADDR_ERROR, RDMA_CM_EVENT_DEVICE_REMOVAL:
                    let status = event.status
                    let name = event.kindName
                    try? cmId!.leaveMulticast(ipv4: ip)
                    throw TransportError("join \(group)", code: -status, reason: name)
                default:
                    continue  // not about this join (address change and the like)
                }
            }
        } catch {
            throw error.transportError
        }
    }

    /// Leaves the group (`rdma_leave_multicast`, no event to wait for). Sends in flight
    /// complete first, since they may use the group's address handle.
    public func leave(_ group: GroupAddress) throws(TransportError) {
        try ensureOpen("leave \(group)")
        let ip = try Self.multicastIPv4(group, "leave")
        guard groups[ip] != nil else { return }
        try quiesceSends()
        defer { groups[ip] = nil }
        do {
            try cmId!.leaveMulticast(ipv4: ip)
        } catch {
            throw error.transportError
        }
    }

    /// The address handle, QPN and Q_Key for sends to `group`: the join's, or, for a group
    /// not joined, one made for its multicast GID (`::ffff:a.b.c.d` on RoCE v2).
    func groupTarget(_ group: GroupAddress) throws(TransportError) -> (UnsafeMutablePointer<ibv_ah>, UInt32, UInt32) {
        let ip = try Self.multicastIPv4(group, "send")
        if let joined = groups[ip] { return (joined.handle.raw, Self.multicastQPN, joined.qkey) }
        if let cached = unjoinedGroupHandles[ip] { return (cached.handle.raw, Self.multicastQPN, Self.udpQKey) }
        do {
            let handle = try AddressHandle(
                pd: domain!.pd, gid: GID(ipv4: ip), port: portNumber, sourceGIDIndex: UInt8(clamping: gidIndex))
            let shared = SharedAddressHandle(handle)
            unjoinedGroupHandles[ip] = shared
            return (shared.handle.raw, Self.multicastQPN, Self.udpQKey)
        } catch {
            throw error.transportError
        }
    }

    /// The address handle for a unicast peer, cached by GID.
    func peerTarget(_ endpoint: Endpoint) throws(TransportError) -> UnsafeMutablePointer<ibv_ah> {
        let gid = GID(words: endpoint.address)
        if let cached = peerHandles[gid] { return cached.handle.raw }
        guard peerHandles.count < configuration.maxPeerAddressHandles else {
            throw TransportError("send to \(endpoint)", reason: "too many peers (\(peerHandles.count) address handles)")
        }
        do {
            let handle = try AddressHandle(
                pd: domain!.pd, gid: gid, port: portNumber, sourceGIDIndex: UInt8(clamping: gidIndex))
            let shared = SharedAddressHandle(handle)
            peerHandles[gid] = shared
            return shared.handle.raw
        } catch {
            throw error.transportError
        }
    }

    static func multicastIPv4(_ group: GroupAddress, _ operation: String) throws(TransportError) -> UInt32 {
        guard let ip = group.ipv4, ip >> 28 == 0xE else {
            throw TransportError("\(operation) \(group)", reason: "not an IPv4 multicast address")
        }
        return ip
    }
}
#endif
