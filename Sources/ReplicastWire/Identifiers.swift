/// A participant's permanent identifier: a storage server's id from the membership list,
/// or a client's id (clients use ids at or above `NodeID.firstClient`).
public struct NodeID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public init(_ value: UInt32) { self.rawValue = value }

    /// Ids at or above this value are clients, below it storage servers.
    public static let firstClient = NodeID(0x8000_0000)

    public var isClient: Bool { rawValue >= NodeID.firstClient.rawValue }
    public var description: String { isClient ? "c\(rawValue - NodeID.firstClient.rawValue)" : "s\(rawValue)" }
    public static func < (a: NodeID, b: NodeID) -> Bool { a.rawValue < b.rawValue }
}

/// Whether a datagram carries a request, a response to one, or a notification
/// (FIG. 22, "Request/Response/Notification").
public enum MessageKind: UInt8, Sendable, CaseIterable {
    case request = 0
    case response = 1
    case notification = 2
}

/// Identifies a request: its source and that source's sequence number, plus a sub-sequence
/// number for the messages of one transaction (FIG. 22, "Transaction ID").
///
/// Responses carry a copy of the request's id ("Copy of Put Proposal ID").
public struct RequestID: Hashable, Sendable, CustomStringConvertible {
    public var source: NodeID
    public var sequence: UInt32
    public var subsequence: UInt16

    public init(source: NodeID, sequence: UInt32, subsequence: UInt16 = 0) {
        self.source = source
        self.sequence = sequence
        self.subsequence = subsequence
    }

    public var description: String { "\(source)#\(sequence).\(subsequence)" }
}

/// A multicast group on the wire: the IP multicast address (IPv4 in the low 4 bytes of an
/// IPv4-mapped IPv6 address, or a full IPv6 address) and the UDP port.
///
/// On verbs the same IP address is resolved by rdma_cm to the InfiniBand / RoCE MGID, so one
/// representation serves both transports.
public struct GroupAddress: Hashable, Sendable, CustomStringConvertible {
    /// 16 bytes, network order. IPv4 is stored as ::ffff:a.b.c.d.
    public var address: (UInt64, UInt64)
    public var port: UInt16

    public init(address: (UInt64, UInt64), port: UInt16) {
        self.address = address
        self.port = port
    }

    /// An IPv4 group, `a.b.c.d:port`.
    public init(ipv4 a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, port: UInt16) {
        let v4 = UInt64(a) << 24 | UInt64(b) << 16 | UInt64(c) << 8 | UInt64(d)
        self.address = (0, 0x0000_FFFF_0000_0000 | v4)
        self.port = port
    }

    /// The IPv4 address in host order, if this is an IPv4 group.
    public var ipv4: UInt32? {
        guard address.0 == 0, address.1 >> 32 == 0x0000_FFFF else { return nil }
        return UInt32(truncatingIfNeeded: address.1)
    }

    /// Parses `a.b.c.d:port` (IPv4 only).
    public init?(_ text: String) {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1]) else { return nil }
        let octets = parts[0].split(separator: ".").compactMap { UInt8($0) }
        guard octets.count == 4 else { return nil }
        self.init(ipv4: octets[0], octets[1], octets[2], octets[3], port: port)
    }

    public var description: String {
        if let v4 = ipv4 {
            return "\(v4 >> 24).\(v4 >> 16 & 0xFF).\(v4 >> 8 & 0xFF).\(v4 & 0xFF):\(port)"
        }
        return "[\(String(address.0, radix: 16)):\(String(address.1, radix: 16))]:\(port)"
    }

    public static func == (a: GroupAddress, b: GroupAddress) -> Bool {
        a.address.0 == b.address.0 && a.address.1 == b.address.1 && a.port == b.port
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(address.0)
        hasher.combine(address.1)
        hasher.combine(port)
    }
}

/// An absolute time on the cluster's shared clock, in nanoseconds.
///
/// The node runtime reads CLOCK_REALTIME (servers of a rack are kept in step by PTP or NTP);
/// the simulator supplies virtual time. The protocol core never reads a clock itself.
public struct Instant: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public init(nanoseconds: UInt64) { self.rawValue = nanoseconds }

    public static let zero = Instant(nanoseconds: 0)
    public static func < (a: Instant, b: Instant) -> Bool { a.rawValue < b.rawValue }

    public static func + (a: Instant, d: Duration) -> Instant {
        let ns = d.nanoseconds
        return ns >= 0 ? Instant(nanoseconds: a.rawValue &+ UInt64(ns))
            : Instant(nanoseconds: a.rawValue &- min(a.rawValue, UInt64(-ns)))
    }

    /// `a - b` as a duration (negative if `a` is earlier).
    public static func - (a: Instant, b: Instant) -> Duration {
        a >= b ? .nanoseconds(Int64(a.rawValue - b.rawValue)) : .nanoseconds(-Int64(b.rawValue - a.rawValue))
    }

    public var description: String { "t+\(rawValue / 1000)µs" }
}

extension Duration {
    /// The duration in whole nanoseconds (saturating).
    public var nanoseconds: Int64 {
        let (s, a) = components
        let (mul, o1) = s.multipliedReportingOverflow(by: 1_000_000_000)
        if o1 { return s < 0 ? Int64.min : Int64.max }
        let (sum, o2) = mul.addingReportingOverflow(a / 1_000_000_000)
        return o2 ? Int64.max : sum
    }
}

/// A time window with a start, a duration and a maximum rate: a Proposed Rendezvous, a
/// consensus rendezvous or a get's Reception Window ("Rendezvous Time Window").
public struct RendezvousWindow: Hashable, Sendable {
    public var start: Instant
    public var duration: Duration
    /// Bytes per second.
    public var rate: UInt64

    public init(start: Instant, duration: Duration, rate: UInt64) {
        self.start = start
        self.duration = duration
        self.rate = rate
    }

    public var end: Instant { start + duration }
}

/// The full name of a named chunk (a version manifest): bucket, object name and version.
public struct ChunkName: Hashable, Sendable {
    public var bucket: HashID
    public var name: HashID
    /// Unique Version Identifier: larger is newer.
    public var version: UInt64

    public init(bucket: HashID, name: HashID, version: UInt64) {
        self.bucket = bucket
        self.name = name
        self.version = version
    }
}

/// A row of the Distributed Hash Allocation Table, as carried in messages
/// ("Target Negotiating Group").
public struct RowID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public init(_ value: UInt32) { self.rawValue = value }
    public static func < (a: RowID, b: RowID) -> Bool { a.rawValue < b.rawValue }
    public var description: String { "row\(rawValue)" }
}
