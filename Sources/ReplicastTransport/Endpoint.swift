import ReplicastWire

/// A participant's unicast address on a transport.
///
/// UDP: an IPv4-mapped address in `address` and the port in `selector`.
/// Verbs: the port GID in `address` and the queue pair number in `selector`.
/// Transports learn peers' endpoints from the datagrams they receive; the protocol layers
/// name participants by `NodeID` and let the runtime map ids to endpoints.
public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    /// 16 bytes, network order (IPv4 as ::ffff:a.b.c.d, or a GID).
    public var address: (UInt64, UInt64)
    /// UDP port or UD queue pair number.
    public var selector: UInt32

    public init(address: (UInt64, UInt64), selector: UInt32) {
        self.address = address
        self.selector = selector
    }

    /// An IPv4 endpoint from a host-order address and a port.
    public init(ipv4: UInt32, port: UInt16) {
        self.address = (0, 0x0000_FFFF_0000_0000 | UInt64(ipv4))
        self.selector = UInt32(port)
    }

    /// The IPv4 address in host order, if this is an IPv4 endpoint.
    public var ipv4: UInt32? {
        guard address.0 == 0, address.1 >> 32 == 0x0000_FFFF else { return nil }
        return UInt32(truncatingIfNeeded: address.1)
    }

    /// Parses `a.b.c.d:port`.
    public init?(_ text: String) {
        guard let g = GroupAddress(text) else { return nil }
        self.init(address: g.address, selector: UInt32(g.port))
    }

    public var description: String {
        if let v4 = ipv4 {
            return "\(v4 >> 24).\(v4 >> 16 & 0xFF).\(v4 >> 8 & 0xFF).\(v4 & 0xFF):\(selector)"
        }
        return "gid[\(String(address.0, radix: 16)):\(String(address.1, radix: 16))]/qpn\(selector)"
    }

    public static func == (a: Endpoint, b: Endpoint) -> Bool {
        a.address.0 == b.address.0 && a.address.1 == b.address.1 && a.selector == b.selector
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(address.0)
        hasher.combine(address.1)
        hasher.combine(selector)
    }
}

/// Where a datagram is sent: a multicast group, or one participant.
public enum Destination: Hashable, Sendable, CustomStringConvertible {
    case group(GroupAddress)
    case endpoint(Endpoint)

    public var description: String {
        switch self {
        case .group(let g): return "group \(g)"
        case .endpoint(let e): return "endpoint \(e)"
        }
    }
}
