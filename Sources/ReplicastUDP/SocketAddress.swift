import CReplicastSystem
import Glibc
import ReplicastTransport
import ReplicastWire

extension sockaddr_in {
    /// An IPv4 socket address from a host-order address and port.
    init(ipv4: UInt32, port: UInt16) {
        self.init()
        sin_family = sa_family_t(AF_INET)
        sin_port = port.bigEndian
        sin_addr = in_addr(s_addr: ipv4.bigEndian)
    }

    /// The host-order IPv4 address.
    var ipv4: UInt32 { UInt32(bigEndian: sin_addr.s_addr) }

    /// The host-order port.
    var port: UInt16 { UInt16(bigEndian: sin_port) }

    /// The address as a transport endpoint.
    var endpoint: Endpoint { Endpoint(ipv4: ipv4, port: port) }
}

/// Helpers on host-order IPv4 addresses.
enum IPv4 {
    /// Parses dotted-quad text (`a.b.c.d`) into a host-order address.
    static func parse(_ text: String) -> UInt32? {
        var address = in_addr()
        guard inet_pton(AF_INET, text, &address) == 1 else { return nil }
        return UInt32(bigEndian: address.s_addr)
    }

    /// Whether `address` is an IPv4 multicast address (224.0.0.0/4).
    static func isMulticast(_ address: UInt32) -> Bool { address >> 28 == 0xE }
}

extension Destination {
    /// The IPv4 socket address to send to, or nil if the destination is not IPv4.
    var socketAddress: sockaddr_in? {
        switch self {
        case .group(let group):
            guard let v4 = group.ipv4, IPv4.isMulticast(v4) else { return nil }
            return sockaddr_in(ipv4: v4, port: group.port)
        case .endpoint(let endpoint):
            guard let v4 = endpoint.ipv4, let port = UInt16(exactly: endpoint.selector) else { return nil }
            return sockaddr_in(ipv4: v4, port: port)
        }
    }
}
