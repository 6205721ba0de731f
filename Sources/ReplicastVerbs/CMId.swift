#if canImport(CIBVerbs)
import CIBVerbs
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An rdma_cm id in the UDP port space (`rdma_create_id(RDMA_PS_UDP)`), destroyed when the
/// value is dropped. Bound to a local IP address it names a verbs device and port; its
/// queue pair joins multicast groups through it.
public struct CMId: ~Copyable {
    public let raw: UnsafeMutablePointer<rdma_cm_id>

    /// A new id reporting to `channel`.
    public init(channel: borrowing CMEventChannel) throws(VerbsError) {
        var id: UnsafeMutablePointer<rdma_cm_id>? = nil
        guard rdma_create_id(channel.raw, &id, nil, RDMA_PS_UDP) == 0, let id else {
            throw .last("rdma_create_id")
        }
        raw = id
    }

    deinit { rdma_destroy_id(raw) }

    /// Binds to a local IPv4 address (host order) and an ephemeral port: this selects the
    /// verbs device and port that own the address.
    public func bind(ipv4: UInt32) throws(VerbsError) {
        var address = sockaddr_in.ipv4(ipv4)
        let rc = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { rdma_bind_addr(raw, $0) }
        }
        guard rc == 0 else { throw .last("rdma_bind_addr") }
    }

    /// The device context rdma_cm opened for the bound address (it stays open while the
    /// process runs), nil before `bind`.
    public var context: UnsafeMutablePointer<ibv_context>? { raw.pointee.verbs }

    /// The port the bound address is on.
    public var portNumber: UInt8 { raw.pointee.port_num }

    /// Starts joining the multicast group `ipv4` (host order); completion is reported as
    /// RDMA_CM_EVENT_MULTICAST_JOIN (or _ERROR) on the event channel, with the address as the
    /// join's context (`CMEvent.multicastGroup`).
    public func joinMulticast(ipv4: UInt32) throws(VerbsError) {
        var address = sockaddr_in.ipv4(ipv4)
        let rc = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { rdma_join_multicast(raw, $0, UnsafeMutableRawPointer(bitPattern: UInt(ipv4))) }
        }
        guard rc == 0 else { throw .last("rdma_join_multicast") }
    }

    /// Leaves the multicast group `ipv4` and detaches the id's queue pair from it.
    public func leaveMulticast(ipv4: UInt32) throws(VerbsError) {
        var address = sockaddr_in.ipv4(ipv4)
        let rc = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { rdma_leave_multicast(raw, $0) }
        }
        guard rc == 0 else { throw .last("rdma_leave_multicast") }
    }
}

extension sockaddr_in {
    /// An AF_INET address with port 0.
    static func ipv4(_ address: UInt32) -> sockaddr_in {
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_addr.s_addr = address.bigEndian
        return sin
    }
}
#endif
