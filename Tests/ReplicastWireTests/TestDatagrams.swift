import ReplicastWire

/// Helpers to build valid and deliberately broken datagrams from public API only.
enum TestDatagrams {
    static func u32(_ d: [UInt8], _ at: Int) -> Int {
        Int(d[at]) << 24 | Int(d[at + 1]) << 16 | Int(d[at + 2]) << 8 | Int(d[at + 3])
    }

    static func setU16(_ d: inout [UInt8], _ at: Int, _ v: Int) {
        d[at] = UInt8(truncatingIfNeeded: v >> 8)
        d[at + 1] = UInt8(truncatingIfNeeded: v)
    }

    static func setU32(_ d: inout [UInt8], _ at: Int, _ v: Int) {
        for i in 0..<4 { d[at + i] = UInt8(truncatingIfNeeded: v >> (24 - 8 * i)) }
    }

    /// Recomputes the CRC-32C of a (possibly edited) datagram, as PROTOCOL.md § 2.2 defines it.
    static func resealed(_ input: [UInt8]) -> [UInt8] {
        var d = input
        let headerLength = min(Int(d[5]), d.count)
        setU32(&d, 40, 0)
        let offset = u32(d, 28)
        let metadataLength = u32(d, 36)
        let n = d.count - headerLength
        let covered = offset < metadataLength ? min(n, metadataLength - offset) : 0
        setU32(&d, 40, Int(CRC32C.checksum(of: Array(d[0..<(headerLength + covered)]))))
        return d
    }

    /// The datagrams of `envelope` at `maxDatagramSize`.
    static func datagrams(_ envelope: Envelope, maxDatagramSize: Int = 1472) throws -> [[UInt8]] {
        let f = try Fragmenter(envelope: envelope, maxDatagramSize: maxDatagramSize)
        return (0..<f.fragmentCount).map { f.datagram($0) }
    }

    /// Feeds one datagram to `r`.
    @discardableResult
    static func feed(_ r: Reassembler, _ d: [UInt8], now: Instant = .zero) throws(WireError) -> Envelope? {
        let result = d.withUnsafeBytes { p in Result { () throws(WireError) in try r.accept(p, now: now) } }
        return try result.get()
    }

    /// A transfer of `payloadLength` bytes (0, 1, 2, … mod 256).
    static func transfer(payloadLength: Int, sequence: UInt32 = 1) -> Envelope {
        Envelope(
            kind: .notification, id: RequestID(source: NodeID(0x8000_0001), sequence: sequence), generation: 9,
            message: .rendezvousTransfer(
                RendezvousTransfer(
                    request: RequestID(source: NodeID(0x8000_0001), sequence: 1), deliveryGroup: GoldenExamples.group,
                    members: [NodeID(3)], rate: 1000, contentHash: GoldenExamples.content,
                    content: Payload(copying: (0..<payloadLength).map { UInt8(truncatingIfNeeded: $0) }))))
    }

    static var stale: Envelope { GoldenExamples.all.first { $0.name == "stale-generation" }!.envelope }
}
