import ReplicastCore
import ReplicastWire
import Testing

@Suite("Version manifest")
struct VersionManifestTests {
    let manifest = VersionManifest(
        bucket: "photos", key: "2026/cat.jpg", size: 1_500_000,
        chunks: [.init(contentHash: ContentHash.ofName("a"), length: 1_048_576),
                 .init(contentHash: ContentHash.ofName("b"), length: 451_424)])

    @Test("round trip")
    func roundTrip() throws {
        #expect(try VersionManifest(decoding: manifest.encoded()) == manifest)
    }

    @Test("every truncation is rejected, never a crash")
    func truncated() {
        let bytes = manifest.encoded()
        for n in 0..<bytes.count {
            #expect(throws: VersionManifest.DecodeError.self) { try VersionManifest(decoding: Array(bytes.prefix(n))) }
        }
    }

    @Test("lengths must add up to the size, and the magic and version must match")
    func inconsistent() {
        var bad = manifest
        bad.size += 1
        #expect(throws: VersionManifest.DecodeError.inconsistentSize) { try VersionManifest(decoding: bad.encoded()) }
        var wrongVersion = manifest.encoded()
        wrongVersion[4] = 9
        #expect(throws: VersionManifest.DecodeError.unsupportedVersion(9)) { try VersionManifest(decoding: wrongVersion) }
        #expect(throws: VersionManifest.DecodeError.notAManifest) { try VersionManifest(decoding: Array("hello".utf8)) }
    }

    @Test("a huge declared chunk count does not allocate")
    func hugeCount() {
        var bytes = Array("RCVM".utf8) + [1] + [UInt8](repeating: 0, count: 8) + [0xFF, 0xFF, 0xFF, 0xFF]
        bytes += [UInt8](repeating: 0, count: 40)
        #expect(throws: VersionManifest.DecodeError.truncated) { try VersionManifest(decoding: bytes) }
    }
}
