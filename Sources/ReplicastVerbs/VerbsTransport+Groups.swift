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
    /// IP address). Posts `rdma_join_multicast`, waits up to `configuration.joinTimeout` for
    /// the rdma_cm event thread to report RDMA_CM_EVENT_MULTICAST_JOIN, and makes the address
    /// handle for sends to the group from what the event carried. Joining a group joined
    /// already does nothing, unless the fabric dropped it: then it is left and joined anew.
    public func join(_ group: GroupAddress) throws(TransportError) {
        let operation = "join \(group)"
        try ensureOpen(operation)
        let ip = try Self.multicastIPv4(group, "join")
        if groups[ip] != nil {
            guard controlEvents.droppedGroup(ip) != nil else { return }
            try leave(group)
        }
        controlEvents.expectJoin(ip)
        do {
            try cmId!.joinMulticast(ipv4: ip)
        } catch {
            controlEvents.cancelJoin(ip)
            throw error.transportError
        }
        switch controlEvents.awaitJoin(ip, timeout: configuration.joinTimeout) {
        case nil:
            try? cmId!.leaveMulticast(ipv4: ip)
            throw TransportError(operation, code: ETIMEDOUT, reason: "no multicast join event in time")
        case .failed(let failure):
            try? cmId!.leaveMulticast(ipv4: ip)
            throw TransportError(operation, code: failure.errorCode, reason: failure.description)
        case .joined(let join):
            do {
                let handle = try AddressHandle(pd: domain!.pd, attributes: join.addressAttributes)
                groups[ip] = JoinedGroup(handle: handle, qkey: join.qkey, qpn: join.qpn)
            } catch {
                controlEvents.forget(ip)
                try? cmId!.leaveMulticast(ipv4: ip)
                throw error.transportError
            }
        }
    }

    /// Leaves the group (`rdma_leave_multicast`, no event to wait for). Sends in flight
    /// complete first, since they may use the group's address handle. Allowed after the
    /// device or the address failed.
    public func leave(_ group: GroupAddress) throws(TransportError) {
        if isClosed { throw TransportError("leave \(group)", reason: "transport closed", permanent: true) }
        let ip = try Self.multicastIPv4(group, "leave")
        guard groups[ip] != nil else { return }
        try quiesceSends()
        defer {
            groups[ip] = nil
            controlEvents.forget(ip)
        }
        do {
            try cmId!.leaveMulticast(ipv4: ip)
        } catch {
            throw error.transportError
        }
    }

    /// Throws if the fabric dropped `ip` after this transport joined it (an
    /// RDMA_CM_EVENT_MULTICAST_ERROR): sends to it would go nowhere.
    func ensureGroupUsable(_ ip: UInt32) throws(TransportError) {
        guard let failure = controlEvents.droppedGroup(ip) else { return }
        let dotted = "\(ip >> 24).\(ip >> 16 & 0xFF).\(ip >> 8 & 0xFF).\(ip & 0xFF)"
        throw TransportError(
            "send", code: failure.errorCode,
            reason: "multicast group \(dotted) left by the fabric: \(failure.eventAndStatus)")
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
