import ReplicastCore
import ReplicastWire
import Testing

/// docs/PROTOCOL.md § 10.3: the example manifest's bytes are what `VersionManifest` encodes
/// from the example's fields, and decode to them.
@Suite("Version manifest: docs/PROTOCOL.md § 10.3")
struct VersionManifestDocumentTests {
    struct BadExample: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    /// The fields of the example, and the hashes the document states for it.
    struct Fields {
        var manifest: VersionManifest
        var contentHash: HashID
        var bucketHash: HashID
        var nameHash: HashID
    }

    /// Reads the `manifest-example-fields` table. Every row must be a known field: the
    /// document shows nothing the test does not check.
    static func fields(_ doc: CoreProtocolDocument) throws -> Fields {
        var values: [String: String] = [:]
        for r in try doc.table("manifest-example-fields").records {
            guard let field = r["field"], let value = r["value"] else { throw BadExample("row without field or value") }
            guard values.updateValue(value, forKey: field) == nil else { throw BadExample("field \(field) twice") }
        }
        func take(_ field: String) throws -> String {
            guard let v = values.removeValue(forKey: field) else { throw BadExample("field '\(field)' missing") }
            return v
        }
        func hash(_ field: String) throws -> HashID {
            let v = try take(field)
            guard let h = HashID(hex: v) else { throw BadExample("\(field): '\(v)' is not 64 hex digits") }
            return h
        }
        func number<T: FixedWidthInteger>(_ field: String, _: T.Type) throws -> T {
            let v = try take(field)
            guard let n = CoreProtocolDocument.number(v, as: T.self) else { throw BadExample("\(field): '\(v)' is not a number") }
            return n
        }
        let bucket = try take("bucket")
        let key = try take("key")
        let size = try number("object size", UInt64.self)
        var chunks: [VersionManifest.ChunkReference] = []
        while values["chunk \(chunks.count) content hash"] != nil {
            let i = chunks.count
            chunks.append(.init(contentHash: try hash("chunk \(i) content hash"), length: try number("chunk \(i) length", UInt32.self)))
        }
        let fields = Fields(
            manifest: VersionManifest(bucket: bucket, key: key, size: size, chunks: chunks),
            contentHash: try hash("manifest content hash"), bucketHash: try hash("bucket hash"), nameHash: try hash("name hash"))
        guard values.isEmpty else { throw BadExample("fields the test does not know: \(values.keys.sorted())") }
        return fields
    }

    /// Lower-case hex (for failure messages).
    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0xF)]] })
    }

    @Test func exampleHasTwoChunks() throws {
        let doc = try CoreProtocolDocument.load()
        #expect(doc.problems.isEmpty, "\(doc.problems)")
        #expect(try Self.fields(doc).manifest.chunks.count == 2)
    }

    @Test func encodingTheFieldsGivesTheBytes() throws {
        let doc = try CoreProtocolDocument.load()
        let fields = try Self.fields(doc)
        let encoded = fields.manifest.encoded()
        #expect(encoded == (try doc.hex("manifest:example")), "the code encodes: \(Self.hex(encoded))")
    }

    @Test func decodingTheBytesGivesTheFields() throws {
        let doc = try CoreProtocolDocument.load()
        let fields = try Self.fields(doc)
        #expect(try VersionManifest(decoding: try doc.hex("manifest:example")) == fields.manifest)
    }

    /// The manifest's content hash, and the name it is stored under.
    @Test func hashesOfTheExample() throws {
        let doc = try CoreProtocolDocument.load()
        let fields = try Self.fields(doc)
        #expect(ContentHash.of(try doc.hex("manifest:example")) == fields.contentHash)
        let name = fields.manifest.name(version: 1)
        #expect(name.bucket == fields.bucketHash)
        #expect(name.name == fields.nameHash)
    }

    /// The layout table of § 10.3 gives the offsets the example's bytes have.
    @Test func layoutTableMatchesTheExample() throws {
        let doc = try CoreProtocolDocument.load()
        let bytes = try doc.hex("manifest:example")
        let fields = try Self.fields(doc)
        let count = fields.manifest.chunks.count
        // magic, format version, size, count, chunks, then each name as length + bytes.
        let bucketAt = 17 + 36 * count
        let keyAt = bucketAt + 2 + fields.manifest.bucket.utf8.count
        #expect(Array(bytes[0..<4]) == Array("RCVM".utf8))
        #expect(bytes[4] == 1)
        #expect(bytes[5..<13].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } == fields.manifest.size)
        #expect(bytes[13..<17].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } == UInt32(count))
        #expect(Int(bytes[bucketAt]) << 8 | Int(bytes[bucketAt + 1]) == fields.manifest.bucket.utf8.count)
        #expect(Int(bytes[keyAt]) << 8 | Int(bytes[keyAt + 1]) == fields.manifest.key.utf8.count)
        #expect(bytes.count == keyAt + 2 + fields.manifest.key.utf8.count)
    }
}
