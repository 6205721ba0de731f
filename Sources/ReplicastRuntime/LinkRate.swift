import Foundation
import ReplicastCore
import ReplicastTransport
import ReplicastVerbs
import ReplicastWire

/// A node's link in the cluster file: its rate, and the shares of it reserved for
/// rendezvous transfers and allowed for unsolicited messages. Every field is optional: a
/// server's own `link` overrides the file's top-level `link`, which overrides what the node
/// reads from its interface.
///
/// ```yaml
/// link: {rate: 10Gbit, reservedShare: 0.8, unsolicitedShare: 0.2}   # every node
/// servers:
///   - {id: 1, ..., link: {rate: 1Gbit, reservedShare: 0.95, unsolicitedShare: 0.05}}
/// ```
public struct LinkSettings: Codable, Sendable, Equatable {
    /// Bits per second with an optional unit: `1Gbit`, `100Mbit`, `2500kbit`, `1e9`
    /// (bits). The rate of the datagrams' bytes (IP and link headers aside).
    public var rate: String?
    /// Share of the rate reserved for rendezvous transfers, each way (0 < share ≤ 1).
    public var reservedShare: Double?
    /// Share of the rate for unsolicited messages (requests, responses), each way
    /// (0 < share ≤ 1; reserved + unsolicited ≤ 1). Default: what the reserved share leaves.
    public var unsolicitedShare: Double?

    public init(rate: String? = nil, reservedShare: Double? = nil, unsolicitedShare: Double? = nil) {
        self.rate = rate
        self.reservedShare = reservedShare
        self.unsolicitedShare = unsolicitedShare
    }
}

/// Link rates as written in cluster files and on command lines.
public enum LinkRate {
    /// The default reserved share of a link.
    public static let defaultReservedShare = 0.8
    /// The link assumed when neither the configuration nor the interface says (20 Gbit/s).
    public static let fallbackBitsPerSecond: UInt64 = 20_000_000_000

    /// Bits per second from `1Gbit`, `100mbit`, `2.5Gbit`, `10G`, `1500000bit`, `1e9`
    /// (case-insensitive; k, M, G, T are powers of 1000; `bit`, `bps`, `bit/s` optional).
    /// Nil when `text` is not a positive rate.
    public static func parse(_ text: String) -> UInt64? {
        var s = text.trimmingCharacters(in: .whitespaces).lowercased()
        for suffix in ["bit/s", "bits", "bit", "bps", "b/s"] where s.hasSuffix(suffix) {
            s.removeLast(suffix.count)
            break
        }
        s = s.trimmingCharacters(in: .whitespaces)
        var multiplier = 1.0
        if let last = s.last, let m = ["k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12][String(last)] {
            multiplier = m
            s.removeLast()
        }
        guard !s.isEmpty, let value = Double(s.trimmingCharacters(in: .whitespaces)), value.isFinite, value > 0 else {
            return nil
        }
        let bits = value * multiplier
        guard bits >= 1, bits < 1e18 else { return nil }
        return UInt64(bits)
    }

    /// A server's window slack for its link (`ServerConfiguration.windowSlack`): the time
    /// 256 KiB take at its reserved inbound rate, at least 1 ms (the default, sized for the
    /// default 2 GB/s). Offers of members that start a little apart then still share a time
    /// that holds the transfer. On 1 Gbit/s links (Deploy/tbf.sh, three clients, 1 MiB
    /// chunks, 8.8 ms each): with 1 ms, 20-30 chosen windows per run had to be booked anew
    /// and were declined, the transfers sent anyway overflowed the ports (hundreds of
    /// drops), 76-113 MB/s; with 1 MiB of slack, no declines but offers pushed apart,
    /// 104 MB/s (and the single-client cases lost 5 %); with 256 KiB, no declines, no drops,
    /// 113 MB/s, single clients unharmed.
    public static func windowSlack(reservedInbound: UInt64) -> Duration {
        max(.milliseconds(1), .nanoseconds(Int64(Double(256 * 1024) / Double(max(reservedInbound, 1)) * 1e9)))
    }

    /// `1 Gbit/s`, `12.5 Gbit/s`, `800 Mbit/s`.
    public static func describe(bitsPerSecond bits: UInt64) -> String {
        let units: [(Double, String)] = [(1e12, "Tbit/s"), (1e9, "Gbit/s"), (1e6, "Mbit/s"), (1e3, "kbit/s")]
        for (scale, unit) in units where Double(bits) >= scale {
            return "\(trimmed(Double(bits) / scale)) \(unit)"
        }
        return "\(bits) bit/s"
    }

    /// `118.8 MB/s` for bytes per second.
    public static func describe(bytesPerSecond bytes: UInt64) -> String {
        "\(trimmed(Double(bytes) / 1e6)) MB/s"
    }

    private static func trimmed(_ x: Double) -> String {
        let s = String(format: "%.2f", x)
        var t = Substring(s)
        while t.hasSuffix("0") { t.removeLast() }
        if t.hasSuffix(".") { t.removeLast() }
        return String(t)
    }

    /// The speed of the interface that owns IPv4 address `address`
    /// (`/sys/class/net/IF/speed`, Mbit/s): its name and bits per second, or nil when no
    /// interface has the address or it reports no speed (loopback, a down link).
    public static func interfaceSpeed(ofAddress address: String) -> (name: String, bitsPerSecond: UInt64)? {
        guard let name = interfaceName(ofAddress: address),
              let text = try? String(contentsOfFile: "/sys/class/net/\(name)/speed", encoding: .utf8),
              let mbit = Int64(text.trimmingCharacters(in: .whitespacesAndNewlines)), mbit > 0
        else { return nil }
        return (name, UInt64(mbit) * 1_000_000)
    }

    /// The interface that owns IPv4 address `address` (`getifaddrs`).
    public static func interfaceName(ofAddress address: String) -> String? {
        var wanted = in_addr()
        guard inet_pton(AF_INET, address, &wanted) == 1 else { return nil }
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return nil }
        defer { freeifaddrs(list) }
        var p = list
        while let entry = p {
            defer { p = entry.pointee.ifa_next }
            guard let sa = entry.pointee.ifa_addr, sa.pointee.sa_family == sa_family_t(AF_INET) else { continue }
            let a = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
            if a.s_addr == wanted.s_addr { return String(cString: entry.pointee.ifa_name) }
        }
        return nil
    }

    /// What the transport's link says: a verbs port's active speed and width, or the speed
    /// of the interface that owns `address` (UDP).
    public static func detect(transport: any DatagramTransport, address: String?) -> (rate: UInt64, source: String)? {
        if let verbs = transport as? VerbsTransport {
            return verbs.linkBitsPerSecond.map { ($0, "port \(verbs.deviceName):\(verbs.portNumber)") }
        }
        guard let address, let found = interfaceSpeed(ofAddress: address) else { return nil }
        return (found.bitsPerSecond, "interface \(found.name)")
    }
}

/// The link a node (server or client) runs with: its rate, where the rate came from, and
/// the four allocations split from it.
public struct NodeLink: Sendable, Equatable {
    /// Bits per second.
    public var bitsPerSecond: UInt64
    /// Where the rate came from: "configured (servers[3].link.rate)", "interface eth0",
    /// "--link-rate", "default (nothing configured or readable)".
    public var source: String
    public var reservedShare: Double
    public var unsolicitedShare: Double

    /// The four allocations: `reservedShare` and `unsolicitedShare` of the rate in bytes,
    /// each way.
    public var allocation: BandwidthAllocation {
        let bytes = Double(bitsPerSecond) / 8
        let reserved = UInt64((bytes * reservedShare).rounded())
        let unsolicited = UInt64((bytes * unsolicitedShare).rounded())
        return BandwidthAllocation(
            unsolicitedInbound: unsolicited, unsolicitedOutbound: unsolicited, reservedOutbound: reserved,
            reservedInbound: reserved)
    }

    /// One line for the node's start log.
    public var summary: String {
        let a = allocation
        return "link \(LinkRate.describe(bitsPerSecond: bitsPerSecond)) (\(source)): "
            + "reserved in \(LinkRate.describe(bytesPerSecond: a.reservedInbound)), out \(LinkRate.describe(bytesPerSecond: a.reservedOutbound)); "
            + "unsolicited in \(LinkRate.describe(bytesPerSecond: a.unsolicitedInbound)), out \(LinkRate.describe(bytesPerSecond: a.unsolicitedOutbound))"
    }
}

extension ClusterConfiguration {
    /// Checks every `link` setting of the file; the error names the key and the value.
    public func validateLinks() throws {
        try Self.validate(link, key: "link")
        for s in servers { try Self.validate(s.link, key: "servers[id \(s.id)].link") }
    }

    private static func validate(_ link: LinkSettings?, key: String) throws {
        guard let link else { return }
        if let rate = link.rate, LinkRate.parse(rate) == nil {
            throw ConfigurationError("\(key).rate: '\(rate)' is not a link rate (want bits per second, e.g. 1Gbit, 100Mbit, 2.5Gbit)")
        }
        if let r = link.reservedShare, !(r > 0 && r <= 1) {
            throw ConfigurationError("\(key).reservedShare: \(r) is not a share (want 0 < share <= 1)")
        }
        if let u = link.unsolicitedShare, !(u > 0 && u <= 1) {
            throw ConfigurationError("\(key).unsolicitedShare: \(u) is not a share (want 0 < share <= 1)")
        }
        if let r = link.reservedShare, let u = link.unsolicitedShare, r + u > 1 + 1e-9 {
            throw ConfigurationError("\(key): reservedShare \(r) + unsolicitedShare \(u) is more than the link (want a sum <= 1)")
        }
    }

    /// The link of server `server` (nil: a client). The rate is, first found: `rate` (a
    /// client's `--link-rate`), the server's `link.rate`, the file's `link.rate`, what
    /// `detected` reads from the transport, 20 Gbit/s. The shares: the server's, else the
    /// file's, else 0.8 reserved and the rest unsolicited.
    public func nodeLink(
        server: NodeID?, rate override: UInt64? = nil, detected: () -> (rate: UInt64, source: String)? = { nil }
    ) throws -> NodeLink {
        try validateLinks()
        let own = server.flatMap { self.server($0) }?.link
        let ownKey = server.map { "servers[id \($0.rawValue)].link" } ?? "link"
        var bits: UInt64
        var source: String
        if let override {
            (bits, source) = (override, "--link-rate")
        } else if let r = own?.rate, let b = LinkRate.parse(r) {
            (bits, source) = (b, "configured: \(ownKey).rate")
        } else if let r = link?.rate, let b = LinkRate.parse(r) {
            (bits, source) = (b, "configured: link.rate")
        } else if let d = detected() {
            (bits, source) = (d.rate, d.source)
        } else {
            (bits, source) = (LinkRate.fallbackBitsPerSecond, "default: nothing configured or readable")
        }
        bits = max(bits, 8)
        let reserved = own?.reservedShare ?? link?.reservedShare ?? LinkRate.defaultReservedShare
        let configuredUnsolicited = own?.unsolicitedShare ?? link?.unsolicitedShare
        let unsolicited = configuredUnsolicited ?? max(0.01, 1 - reserved)
        if configuredUnsolicited != nil, reserved + unsolicited > 1 + 1e-9 {
            throw ConfigurationError("\(ownKey): reservedShare \(reserved) + unsolicitedShare \(unsolicited) is more than the link (want a sum <= 1)")
        }
        return NodeLink(bitsPerSecond: bits, source: source, reservedShare: reserved, unsolicitedShare: unsolicited)
    }
}
