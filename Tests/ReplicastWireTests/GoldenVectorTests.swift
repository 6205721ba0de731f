import ReplicastWire
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The hex examples of docs/PROTOCOL.md are exactly what the code sends and accepts.
@Suite struct GoldenVectorTests {
    static func readDocument() throws -> ProtocolDocument {
        guard let file = fopen(ProtocolDocument.path, "r") else {
            throw DocumentMissing(path: ProtocolDocument.path)
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        return ProtocolDocument(text: String(decoding: bytes, as: UTF8.self))
    }

    struct DocumentMissing: Error { var path: String }

    /// The datagrams of an example with their document block names.
    static func datagrams(_ example: GoldenExamples.Example) throws -> [(name: String, bytes: [UInt8], metadataLength: Int)] {
        let f = try Fragmenter(envelope: example.envelope, maxDatagramSize: example.maxDatagramSize)
        return (0..<f.fragmentCount).map { i in
            (f.fragmentCount == 1 ? example.name : "\(example.name).\(i)", f.datagram(i), f.metadataLength)
        }
    }

    @Test func documentParsesCleanly() throws {
        let doc = try Self.readDocument()
        #expect(doc.problems.isEmpty, "\(doc.problems)")
        let expected = Set(try GoldenExamples.all.flatMap { try Self.datagrams($0).map(\.name) })
        #expect(Set(doc.blocks.keys) == expected, "blocks without examples or examples without blocks")
    }

    /// The test-side field tables add up to what the encoder writes, for random messages of
    /// every type (so the tables, and the document's tables they mirror, are complete).
    @Test(arguments: MessageType.allCases)
    func fieldLayoutMatchesEncoder(type: MessageType) throws {
        var rng = RoundTripTests.SplitMix(state: UInt64(type.rawValue))
        for _ in 0..<20 {
            let f = try Fragmenter(envelope: Arbitrary.envelope(type, &rng), maxDatagramSize: 65_000)
            let d = f.datagram(0)
            #expect(FieldLayout.describe(d[44..<(44 + f.metadataLength)], type: type) != nil)
        }
    }

    /// The layout tables of docs/PROTOCOL.md § 5 list the same fields, sizes and offsets as
    /// `FieldLayout` (which `fieldLayoutMatchesEncoder` checks against the encoder).
    @Test(arguments: MessageType.allCases)
    func documentTableMatchesFieldLayout(type: MessageType) throws {
        let doc = try Self.readDocument()
        var expected: [(offset: String, size: String)] = []
        var offset: Int? = 0
        func row(_ size: String, advance: Int?) {
            expected.append((offset.map(String.init) ?? "…", size))
            if let o = offset, let a = advance { offset = o + a } else { offset = nil }
        }
        for field in FieldLayout.fields(type) {
            switch field {
            case .fixed(_, let size): row(String(size), advance: size)
            case .list(_, let elementSize):
                row("2", advance: 2)
                offset = nil
                row("\(elementSize) × count", advance: nil)
            }
        }
        let documented = doc.layouts[type.rawValue] ?? []
        #expect(documented.map(\.offset) == expected.map(\.offset), "offsets of 0x\(String(type.rawValue, radix: 16))")
        #expect(documented.map(\.size) == expected.map(\.size), "sizes of 0x\(String(type.rawValue, radix: 16))")
    }

    @Test func everyMessageTypeHasAnExample() {
        let covered = Set(GoldenExamples.all.map(\.envelope.message.wireType))
        #expect(covered == Set(MessageType.allCases))
    }

    @Test(arguments: GoldenExamples.all.map(\.name))
    func encodeMatchesDocument(name: String) throws {
        let doc = try Self.readDocument()
        let example = try #require(GoldenExamples.all.first { $0.name == name })
        for d in try Self.datagrams(example) {
            let documented = doc.blocks[d.name]
            #expect(
                documented == d.bytes,
                "\(d.name) differs from docs/PROTOCOL.md; the code sends:\n```hex golden:\(d.name)\n\(ProtocolDocument.format(d.bytes, type: example.envelope.message.wireType, metadataLength: d.metadataLength))\n```"
            )
        }
    }

    @Test(arguments: GoldenExamples.all.map(\.name))
    func decodeOfDocumentMatchesValue(name: String) throws {
        let doc = try Self.readDocument()
        let example = try #require(GoldenExamples.all.first { $0.name == name })
        let reassembler = Reassembler()
        var delivered: [Envelope] = []
        for d in try Self.datagrams(example).reversed() {
            let bytes = try #require(doc.blocks[d.name])
            if let e = try bytes.withUnsafeBytes({ try reassembler.accept($0, now: .zero) }) { delivered.append(e) }
        }
        #expect(delivered == [example.envelope])
    }
}
