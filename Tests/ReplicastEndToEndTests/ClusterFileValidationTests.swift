import Foundation
import ReplicastCore
import ReplicastRuntime
import Testing

/// A cluster file with a value no cluster can run with, or a key the format does not have,
/// is refused with one line naming the key and the value.
@Suite struct ClusterFileValidationTests {
    func sample() -> ClusterConfiguration {
        var c = ClusterConfiguration.local(
            nodes: 5, directory: NSTemporaryDirectory() + "validation", replicas: 3, basePort: 30_000, multicastPort: 30_000)
        c.link = LinkSettings(rate: "1Gbit", reservedShare: 0.5, unsolicitedShare: 0.25)
        c.servers[0].quotaBytes = 1 << 30
        c.servers[0].link = LinkSettings(rate: "10Gbit")
        return c
    }

    /// Writes `text` to a file and loads it.
    func load(_ text: String) throws -> ClusterConfiguration {
        let path = NSTemporaryDirectory() + "cluster-validation-\(getpid())-\(UUID().uuidString).yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try ClusterConfiguration.load(from: path)
    }

    func yaml(_ c: ClusterConfiguration) throws -> String {
        let path = NSTemporaryDirectory() + "cluster-sample-\(getpid())-\(UUID().uuidString).yaml"
        try c.save(to: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try String(contentsOfFile: path, encoding: .utf8)
    }

    @Test("a file with every key the format has loads back equal")
    func everyKnownKeyLoads() throws {
        let c = sample()
        #expect(try load(try yaml(c)) == c)
    }

    @Test("impossible values are refused, naming the key and the value", arguments: [
        ("replicas: 3", "replicas: 0", "replicas: 0"),
        ("replicas: 3", "replicas: -3", "replicas: -3"),
        ("replicas: 3", "replicas: 9", "replicas: 9"),
        ("maxDatagramSize: 8972", "maxDatagramSize: 100", "maxDatagramSize: 100"),
        ("rowCount: 8", "rowCount: 0", "table.rowCount: 0"),
        ("quotaBytes: 1073741824", "quotaBytes: -5", "quotaBytes: -5"),
        ("reservedShare: 5e-1", "reservedShare: 1.5", "reservedShare: 1.5"),
        ("rate: 1Gbit", "rate: fast", "rate: 'fast'"),
    ])
    func impossibleValues(original: String, replacement: String, expected: String) throws {
        let text = try yaml(sample())
        #expect(text.contains(original), "the sample has no '\(original)'")
        let broken = text.replacingOccurrences(of: original, with: replacement)
        do {
            _ = try load(broken)
            Issue.record("'\(replacement)' was accepted")
        } catch {
            let message = "\(error)"
            #expect(message.contains(expected), "\(message)")
            #expect(!message.contains("\n"), "not one line: \(message)")
        }
    }

    @Test("an unknown key is refused, naming the key and where it stands", arguments: [
        ("replicas: 3", "replicas: 3\nreplica: 2", "unknown key 'replica' at the top level"),
        ("rowCount: 8", "rowCount: 8\n  rowcount: 9", "unknown key 'rowcount' at table"),
        ("volunteer: false", "volunteer: false\n  volunter: true", "unknown key 'volunter' at servers[]"),
    ])
    func unknownKeys(original: String, replacement: String, expected: String) throws {
        let text = try yaml(sample())
        let broken = text.replacingOccurrences(of: original, with: replacement)
        #expect(broken != text)
        do {
            _ = try load(broken)
            Issue.record("'\(replacement)' was accepted")
        } catch {
            #expect("\(error)".contains(expected), "\(error)")
        }
    }

    @Test("two servers with one id, or one endpoint, are refused")
    func duplicates() throws {
        var c = sample()
        c.servers[1].id = c.servers[0].id
        #expect(throws: ConfigurationError.self) { try c.validate() }
        c = sample()
        c.servers[1].endpoint = c.servers[0].endpoint
        #expect(throws: ConfigurationError.self) { try c.validate() }
    }
}
