import ArgumentParser
import ReplicastCore
import ReplicastWire

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `replicast-bench codec`: the wire codec's cost next to SHA-256, the other per-byte work
/// of a put. Fragmenting and reassembling a chunk must be much cheaper than hashing it, so
/// the codec never limits line rate.
struct CodecBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codec",
        abstract: "Fragment + reassemble, encode / decode every message type, SHA-256 reference."
    )

    @Option(help: "Chunk size in bytes.")
    var chunkBytes = 1 << 20

    @Option(help: "Repetitions per measurement (the median is reported).")
    var repetitions = 11

    @Option(help: "Seconds for `openssl speed` (0 to skip).")
    var opensslSeconds = 3

    func run() throws {
        let chunk = PayloadBuffer(count: chunkBytes)
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        for i in 0..<chunkBytes {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            chunk.mutableBytes[i] = UInt8(truncatingIfNeeded: seed >> 56)
        }
        let content = Payload(chunk)
        let mib = Double(chunkBytes) / Double(1 << 20)
        print("# replicast-bench codec\n")
        print("Chunk: \(chunkBytes) bytes (\(fixed(mib, 2)) MiB); median of \(repetitions) repetitions; one core.\n")

        // Per-byte work.
        var rows: [(String, Double)] = []
        for size in [8972, 1472] {
            let ns = try fragmentAndReassemble(content, maxDatagramSize: size)
            rows.append(("fragment + reassemble, \(size)-byte datagrams", ns))
        }
        let hashIterations = max(1, (64 << 20) / chunkBytes)
        let shaNs = medianNanoseconds(repetitions: repetitions, iterations: hashIterations) {
            blackHole(ContentHash.of(content))
        }
        rows.append(("SHA-256 (ContentHash.of, swift-crypto)", shaNs))
        let openssl = opensslSeconds > 0 ? opensslSHA256(seconds: opensslSeconds) : nil

        print("## Per-byte work on one chunk\n")
        print("| operation | µs / chunk | GB/s per core | × SHA-256 (swift-crypto) | × SHA-256 (openssl) |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for (name, ns) in rows {
            let gbps = Double(chunkBytes) / ns
            let vsOpenssl = openssl.map { fixed(gbps / ($0 / 1e9), 1) } ?? "–"
            print("| \(name) | \(fixed(ns / 1000, 1)) | \(fixed(gbps, 2)) | \(fixed(shaNs / ns, 1)) | \(vsOpenssl) |")
        }
        if let openssl {
            print("| SHA-256 (`openssl speed -evp sha256 -bytes 16384 -seconds \(opensslSeconds)`) | – | \(fixed(openssl / 1e9, 2)) | – | 1.0 |")
        } else {
            print("\n(openssl speed was not run.)")
        }

        print("\n## Encode and decode, one message per type\n")
        print("Encode: `Fragmenter` init (metadata encoding) + `writeHead` of every fragment. Decode: `Reassembler.accept` of the datagram (header, CRC-32C, metadata; payload copied out).\n")
        print("| type | datagram bytes | encode ns | decode ns |")
        print("| --- | ---: | ---: | ---: |")
        for envelope in sampleMessages() {
            let (bytes, encodeNs, decodeNs) = try encodeDecode(envelope)
            print("| \(envelope.message.wireType) | \(bytes) | \(fixed(encodeNs, 0)) | \(fixed(decodeNs, 0)) |")
        }
    }

    /// Sender: fragment and gather each datagram into a receive slot (the copy a NIC or the
    /// kernel makes); receiver: reassemble from the slot. Returns ns per chunk.
    func fragmentAndReassemble(_ content: Payload, maxDatagramSize: Int) throws -> Double {
        let envelope = Envelope(
            kind: .notification, id: RequestID(source: NodeID(0x8000_0001), sequence: 1), generation: 1,
            message: .rendezvousTransfer(
                RendezvousTransfer(
                    request: RequestID(source: NodeID(0x8000_0001), sequence: 1),
                    deliveryGroup: GroupAddress(ipv4: 239, 1, 2, 3, port: 5400),
                    members: [NodeID(1), NodeID(2), NodeID(3)], rate: 1_250_000_000,
                    contentHash: HashID(words: (1, 2, 3, 4)), content: content)))
        let slot = UnsafeMutableRawBufferPointer.allocate(byteCount: maxDatagramSize, alignment: 64)
        defer { slot.deallocate() }
        let reassembler = Reassembler()
        var sequence: UInt32 = 0
        var failure: WireError?
        let iterations = max(1, (32 << 20) / content.count)
        let ns = medianNanoseconds(repetitions: repetitions, iterations: iterations) {
            var e = envelope
            sequence &+= 1
            e.id.sequence = sequence
            do throws(WireError) {
                let f = try Fragmenter(envelope: e, maxDatagramSize: maxDatagramSize)
                var delivered: Envelope?
                for i in 0..<f.fragmentCount {
                    let head = f.headLength(of: i)
                    f.writeHead(of: i, into: UnsafeMutableRawBufferPointer(rebasing: slot[0..<head]))
                    let body = f.body(of: i)
                    body.withUnsafeBytes {
                        UnsafeMutableRawBufferPointer(rebasing: slot[head..<(head + $0.count)]).copyMemory(from: $0)
                    }
                    delivered = try reassembler.accept(
                        UnsafeRawBufferPointer(rebasing: slot[0..<(head + body.count)]), now: .zero)
                }
                guard delivered != nil else { throw WireError.inconsistentFragment }
                blackHole(delivered)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return ns
    }

    /// One message of each type; ns to encode and to decode it.
    func encodeDecode(_ envelope: Envelope) throws -> (Int, Double, Double) {
        let f = try Fragmenter(envelope: envelope, maxDatagramSize: 8972)
        let datagram = f.datagram(0)
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: 9000, alignment: 64)
        defer { out.deallocate() }
        let encodeNs = try medianNanoseconds(repetitions: repetitions, iterations: 20_000) {
            let f = try Fragmenter(envelope: envelope, maxDatagramSize: 8972)
            f.writeHead(of: 0, into: out)
            blackHole(f.body(of: 0))
        }
        let reassembler = Reassembler()
        let decodeNs = try datagram.withUnsafeBytes { bytes in
            try medianNanoseconds(repetitions: repetitions, iterations: 20_000) {
                blackHole(try reassembler.accept(bytes, now: .zero))
            }
        }
        return (datagram.count, encodeNs, decodeNs)
    }

    /// `openssl speed -evp sha256` bytes per second over 16 KiB blocks, or nil if openssl is
    /// missing.
    func opensslSHA256(seconds: Int) -> Double? {
        guard let pipe = popen("openssl speed -evp sha256 -bytes 16384 -seconds \(seconds) -mr 2>/dev/null", "r") else {
            return nil
        }
        defer { pclose(pipe) }
        var line = [CChar](repeating: 0, count: 4096)
        var rate: Double?
        while fgets(&line, Int32(line.count), pipe) != nil {
            // Machine-readable result: "+F:<n>:sha256:<bytes per second>".
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let fields = text.split(separator: ":")
            if fields.count == 4, fields[0] == "+F" {
                rate = Double(fields[3].split(whereSeparator: { $0 == "\n" || $0 == " " }).first ?? "")
            }
        }
        return rate
    }
}
