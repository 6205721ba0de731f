import CReplicastSystem
import Glibc
import ReplicastTransport

/// A non-blocking IPv4 UDP socket descriptor, with typed wrappers for the calls the
/// transport makes. A plain value: whoever opens it closes it.
struct UDPSocket {
    /// The descriptor.
    let fd: Int32

    /// Opens a non-blocking, close-on-exec IPv4 UDP socket.
    static func open() throws(TransportError) -> UDPSocket {
        let type = Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = socket(AF_INET, type, 0)
        guard fd >= 0 else { throw .system("socket", errno: errno) }
        return UDPSocket(fd: fd)
    }

    /// Sets a socket option to `value`.
    func setOption<Value: BitwiseCopyable>(
        _ level: Int32, _ option: Int32, to value: Value, _ name: @autoclosure () -> String
    ) throws(TransportError) {
        let rc = withUnsafeBytes(of: value) { setsockopt(fd, level, option, $0.baseAddress, socklen_t($0.count)) }
        guard rc == 0 else { throw .system("setsockopt \(name())", errno: errno) }
    }

    /// Reads an integer socket option, or nil if it cannot be read.
    func intOption(_ level: Int32, _ option: Int32) -> Int32? {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(fd, level, option, &value, &length) == 0 ? value : nil
    }

    /// Sets a buffer size (SO_RCVBUF / SO_SNDBUF) to `bytes`, first with the privileged
    /// variant (`forceOption`) that ignores the system maximum; without the privilege the
    /// kernel caps the size at net.core.rmem_max / wmem_max.
    func setBufferSize(_ bytes: Int, option: Int32, forcing forceOption: Int32) {
        var value = Int32(clamping: bytes)
        let size = socklen_t(MemoryLayout<Int32>.size)
        if setsockopt(fd, SOL_SOCKET, forceOption, &value, size) != 0 {
            _ = setsockopt(fd, SOL_SOCKET, option, &value, size)
        }
    }

    /// Binds to a host-order IPv4 address and port.
    func bind(ipv4: UInt32, port: UInt16) throws(TransportError) {
        var address = sockaddr_in(ipv4: ipv4, port: port)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else { throw .system("bind \(sockaddr_in(ipv4: ipv4, port: port).endpoint)", errno: errno) }
    }

    /// The address the socket is bound to.
    func localAddress() throws(TransportError) -> sockaddr_in {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let rc = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard rc == 0 else { throw .system("getsockname", errno: errno) }
        return address
    }

    /// Joins (or with `drop`, leaves) the multicast group `group` on the interface `interface`
    /// (both host-order IPv4).
    func membership(group: UInt32, interface: UInt32, drop: Bool) throws(TransportError) {
        let request = ip_mreq(
            imr_multiaddr: in_addr(s_addr: group.bigEndian), imr_interface: in_addr(s_addr: interface.bigEndian))
        try setOption(
            Int32(IPPROTO_IP), drop ? IP_DROP_MEMBERSHIP : IP_ADD_MEMBERSHIP, to: request,
            drop ? "IP_DROP_MEMBERSHIP" : "IP_ADD_MEMBERSHIP")
    }

    /// Closes the descriptor.
    func close() {
        _ = Glibc.close(fd)
    }
}
