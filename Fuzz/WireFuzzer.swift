// libFuzzer entry point for ReplicastWire, compiled together with Sources/ReplicastWire/*.swift
// by Fuzz/run.sh (so it can use the module's internal API).
//
// Input layout: byte 0 selects the mode, the rest is the payload.
//   bit 0 clear: the payload is one datagram.
//   bit 0 set:   the payload is a sequence of records [time step UInt8][length UInt16][bytes],
//                fed in order to one Reassembler with a virtual clock.
//   bit 1 set:   each datagram's CRC-32C is recomputed before it is fed, so the fuzzer gets
//                past the checksum to the structural checks and the metadata decoder.
// Any invariant violation traps, which libFuzzer reports as a crash.

/// Small limits so that the memory bounds are exercised.
let fuzzLimits = ReassemblyLimits(
    maxMessageBytes: 1 << 20, maxBufferedBytes: 1 << 18, maxIncompleteMessages: 8, timeout: .milliseconds(10),
    maxRecentlyCompleted: 16)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let mode = input[0]
    let payload = UnsafeRawBufferPointer(rebasing: input[1...])
    if mode & 1 == 0 {
        fuzzOneDatagram(payload, reseal: mode & 2 != 0)
    } else {
        fuzzSequence(payload, reseal: mode & 2 != 0)
    }
    return 0
}

/// One datagram: the header parser and the reassembler agree, and whatever decodes
/// re-encodes to the same bytes (the encoding is canonical).
func fuzzOneDatagram(_ bytes: UnsafeRawBufferPointer, reseal: Bool) {
    var datagram = Array(bytes)
    if reseal { resealChecksum(&datagram) }
    datagram.withUnsafeBytes { d in
        let header = try? DatagramHeader(parsing: d)
        let reassembler = Reassembler(limits: fuzzLimits)
        let result = Result { () throws(WireError) in try reassembler.accept(d, now: .zero) }
        switch result {
        case .success(let envelope):
            guard let header else { fatalError("accepted a datagram whose header does not parse") }
            check(reassembler)
            guard let envelope else {
                precondition(header.fragmentCount > 1, "a single-fragment message was not delivered")
                return
            }
            precondition(header.fragmentCount == 1)
            if header.headerLength == WireFormat.headerSize {
                let f = try! Fragmenter(envelope: envelope, maxDatagramSize: d.count)
                precondition(f.fragmentCount == 1 && f.datagram(0) == datagram, "decoded message re-encodes differently")
            }
        case .failure(let error):
            precondition(reassembler.counters.errors(error) == 1 && reassembler.counters.totalErrors == 1)
            check(reassembler)
        }
    }
}

/// A sequence of datagrams into one reassembler: memory bounds hold after every step,
/// delivered messages survive a second round trip, and everything expires in the end.
func fuzzSequence(_ input: UnsafeRawBufferPointer, reseal: Bool) {
    let reassembler = Reassembler(limits: fuzzLimits)
    var now = Instant(nanoseconds: 1_000_000_000)
    var at = 0
    while at + 3 <= input.count {
        let step = input[at]
        let length = min(Int(input[at + 1]) << 8 | Int(input[at + 2]), input.count - at - 3)
        var datagram = Array(input[(at + 3)..<(at + 3 + length)])
        at += 3 + length
        now = now + .microseconds(Int64(step & 0x7F) * 100)
        if reseal { resealChecksum(&datagram) }
        let result = datagram.withUnsafeBytes { d in Result { () throws(WireError) in try reassembler.accept(d, now: now) } }
        if case .success(let envelope?) = result { checkRoundTrip(envelope) }
        if step & 0x80 != 0 {
            for expired in reassembler.expire(now: now) {
                precondition(expired.receivedFragments < expired.totalFragments)
                precondition(expired.receivedBytes < expired.messageLength)
            }
        }
        check(reassembler)
    }
    _ = reassembler.expire(now: now + .seconds(1))
    precondition(reassembler.incompleteCount == 0 && reassembler.bufferedBytes == 0, "expire left state behind")
}

func check(_ r: Reassembler) {
    precondition(r.bufferedBytes >= 0 && r.bufferedBytes <= fuzzLimits.maxBufferedBytes, "memory bound broken")
    precondition(r.incompleteCount <= fuzzLimits.maxIncompleteMessages, "incomplete message bound broken")
}

/// A delivered envelope fragments and reassembles to itself at a small datagram size.
func checkRoundTrip(_ envelope: Envelope) {
    guard let f = try? Fragmenter(envelope: envelope, maxDatagramSize: 1472) else {
        fatalError("a decoded message cannot be encoded")
    }
    let r = Reassembler(limits: ReassemblyLimits(maxMessageBytes: 1 << 20))
    var delivered: Envelope?
    for i in 0..<f.fragmentCount {
        let datagram = f.datagram(i)
        delivered = datagram.withUnsafeBytes { try! r.accept($0, now: .zero) }
    }
    precondition(delivered == envelope, "round trip of a decoded message differs")
}

/// Recomputes the checksum field as docs/PROTOCOL.md § 2.2 defines it (if the datagram has a
/// header and its header length fits).
func resealChecksum(_ d: inout [UInt8]) {
    guard d.count >= WireFormat.headerSize else { return }
    let headerLength = Int(d[5])
    guard headerLength >= WireFormat.headerSize, headerLength <= d.count else { return }
    func u32(_ at: Int) -> Int { Int(d[at]) << 24 | Int(d[at + 1]) << 16 | Int(d[at + 2]) << 8 | Int(d[at + 3]) }
    let offset = u32(28)
    let metadataLength = u32(36)
    for i in 40..<44 { d[i] = 0 }
    let crc = d.withUnsafeBytes { all in
        let fragment = UnsafeRawBufferPointer(rebasing: all[headerLength...])
        var c = CRC32C()
        c.update(UnsafeRawBufferPointer(rebasing: all[..<headerLength]))
        c.update(DatagramHeader.metadataPart(of: fragment, offset: offset, metadataLength: metadataLength))
        return c.value
    }
    for i in 0..<4 { d[40 + i] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * UInt32(i))) }
}
