import Foundation
import ReplicastCore
import ReplicastRuntime
import ReplicastWire
import Testing

/// Each node's link: from the cluster file (a server's `link`, else the file's), a client's
/// `--link-rate`, else the interface; the four allocations split from it; one-line errors
/// that name the key and the value.
@Suite struct LinkConfigurationTests {
    func load(_ yaml: String) throws -> ClusterConfiguration {
        let path = NSTemporaryDirectory() + "link-\(UUID().uuidString).yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try ClusterConfiguration.load(from: path)
    }

    func cluster(link: String = "", server1: String = "") -> String {
        """
        generation: 1
        interface: 127.0.0.1
        multicastTTL: 0
        maxDatagramSize: 8972
        replicas: 3
        table: {rowCount: 8, k: 3, minimumGroupSize: 3, port: 7000}
        \(link)
        servers:
          - {id: 1, zone: a, endpoint: '127.0.0.1:7101', dataDirectory: /tmp/n1, volunteer: false\(server1)}
          - {id: 2, zone: b, endpoint: '127.0.0.1:7102', dataDirectory: /tmp/n2, volunteer: false}
          - {id: 3, zone: c, endpoint: '127.0.0.1:7103', dataDirectory: /tmp/n3, volunteer: false}
        """
    }

    @Test("rates parse with tc's units; anything else is not a rate")
    func parse() {
        #expect(LinkRate.parse("1Gbit") == 1_000_000_000)
        #expect(LinkRate.parse("10gbit") == 10_000_000_000)
        #expect(LinkRate.parse("2.5G") == 2_500_000_000)
        #expect(LinkRate.parse("400Mbit/s") == 400_000_000)
        #expect(LinkRate.parse("100mbps") == 100_000_000)
        #expect(LinkRate.parse("1500000") == 1_500_000)
        for bad in ["", "fast", "-1Gbit", "0", "1Xbit", "Gbit", "nan", "1e30"] { #expect(LinkRate.parse(bad) == nil, "\(bad)") }
        #expect(LinkRate.describe(bitsPerSecond: 1_000_000_000) == "1 Gbit/s")
        #expect(LinkRate.describe(bitsPerSecond: 12_500_000_000) == "12.5 Gbit/s")
    }

    @Test("a server's link overrides the file's, which overrides the interface; shares split the allocations")
    func precedence() throws {
        let c = try load(cluster(
            link: "link: {rate: 10Gbit, reservedShare: 0.9, unsolicitedShare: 0.1}",
            server1: ", link: {rate: 1Gbit, reservedShare: 0.95, unsolicitedShare: 0.05}"))
        let one = try c.nodeLink(server: NodeID(1)) { (25_000_000_000, "interface x") }
        #expect(one.bitsPerSecond == 1_000_000_000 && one.source == "configured: servers[id 1].link.rate")
        #expect(one.allocation == BandwidthAllocation(
            unsolicitedInbound: 6_250_000, unsolicitedOutbound: 6_250_000, reservedOutbound: 118_750_000, reservedInbound: 118_750_000))
        let two = try c.nodeLink(server: NodeID(2)) { (25_000_000_000, "interface x") }
        #expect(two.bitsPerSecond == 10_000_000_000 && two.allocation.reservedInbound == 1_125_000_000)
        let client = try c.nodeLink(server: nil, rate: 400_000_000)
        #expect(client.source == "--link-rate" && client.allocation.reservedOutbound == 45_000_000)
        #expect(one.summary.hasPrefix("link 1 Gbit/s (configured: servers[id 1].link.rate): reserved in 118.75 MB/s"))

        let bare = try load(cluster())
        let detected = try bare.nodeLink(server: NodeID(3)) { (10_000_000_000, "interface eth0") }
        #expect(detected.source == "interface eth0" && detected.allocation.reservedInbound == 1_000_000_000)
        let nothing = try bare.nodeLink(server: NodeID(3))
        #expect(nothing.bitsPerSecond == LinkRate.fallbackBitsPerSecond)
        #expect(nothing.allocation == .standard)
    }

    @Test("an invalid link setting is one line that names the key and the value")
    func errors() throws {
        let cases: [(String, String, String)] = [
            ("link: {rate: 1Gbitt}", "", "link.rate: '1Gbitt' is not a link rate"),
            ("", ", link: {rate: fast}", "servers[id 1].link.rate: 'fast' is not a link rate"),
            ("link: {reservedShare: 1.5}", "", "link.reservedShare: 1.5 is not a share"),
            ("", ", link: {unsolicitedShare: 0}", "servers[id 1].link.unsolicitedShare: 0.0 is not a share"),
            ("link: {reservedShare: 0.9, unsolicitedShare: 0.2}", "", "link: reservedShare 0.9 + unsolicitedShare 0.2 is more than the link"),
        ]
        for (link, server1, expected) in cases {
            do {
                _ = try load(cluster(link: link, server1: server1))
                Issue.record("accepted \(link)\(server1)")
            } catch {
                let text = "\(error)"
                #expect(text.contains(expected), "\(text)")
                #expect(!text.contains("\n"), "\(text)")
            }
        }
    }

    @Test("the loopback has no speed to read; an unknown address neither")
    func interfaceSpeed() {
        #expect(LinkRate.interfaceName(ofAddress: "127.0.0.1") == "lo")
        #expect(LinkRate.interfaceSpeed(ofAddress: "127.0.0.1") == nil)
        #expect(LinkRate.interfaceSpeed(ofAddress: "203.0.113.77") == nil)
    }
}
