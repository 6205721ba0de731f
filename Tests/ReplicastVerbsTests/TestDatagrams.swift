import ReplicastTransport
import ReplicastWire

/// The datagrams the soft-RoCE tests exchange: an 8-byte head (kind, sequence number,
/// body length) and a body whose every byte follows from the sequence number, so a
/// receiver can tell each datagram is whole and unchanged.
enum TestDatagram {
    static let headSize = 8

    enum Kind: UInt8 {
        case multicast = 0x4D  // "M"
        case reply = 0x52  // "R"
    }

    /// Byte `offset` of the body of datagram `sequence`.
    static func bodyByte(_ sequence: UInt32, _ offset: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: Int(sequence) &* 31 &+ offset &* 7 &+ offset >> 8)
    }

    /// Fills `bytes` as the body of datagram `sequence`.
    static func fillBody(_ bytes: UnsafeMutableRawBufferPointer, sequence: UInt32) {
        for i in 0..<bytes.count { bytes[i] = bodyByte(sequence, i) }
    }

    /// Appends datagram `sequence` to `batch`.
    static func append(
        _ batch: inout SendBatch, to destination: Destination, kind: Kind, sequence: UInt32, body: Payload
    ) {
        let appended = batch.append(to: destination, headLength: headSize, body: body) { head in
            head.storeBytes(of: kind.rawValue, toByteOffset: 0, as: UInt8.self)
            head.storeBytes(of: 0, toByteOffset: 1, as: UInt8.self)
            head.storeBytes(of: UInt16(body.count).littleEndian, toByteOffset: 2, as: UInt16.self)
            head.storeBytes(of: sequence.littleEndian, toByteOffset: 4, as: UInt32.self)
        }
        precondition(appended, "test batch too small")
    }

    /// Appends the next multicast datagram to `group` with a fresh (unregistered) body of
    /// `size` bytes, and advances `sequence`.
    static func appendFresh(_ batch: inout SendBatch, to group: GroupAddress, size: Int, sequence: inout UInt32) {
        let body = PayloadBuffer(count: size)
        fillBody(body.mutableBytes, sequence: sequence)
        append(&batch, to: .group(group), kind: .multicast, sequence: sequence, body: Payload(body))
        sequence += 1
    }

    /// Appends the next multicast datagram to `group` with its body written into
    /// `buffer[range]` (a registered slab: sent without a copy), and advances `sequence`.
    static func appendInPlace(
        _ batch: inout SendBatch, to group: GroupAddress, buffer: PayloadBuffer, range: Range<Int>, sequence: inout UInt32
    ) {
        fillBody(UnsafeMutableRawBufferPointer(rebasing: buffer.mutableBytes[range]), sequence: sequence)
        append(&batch, to: .group(group), kind: .multicast, sequence: sequence, body: Payload(buffer: buffer, range: range))
        sequence += 1
    }

    /// A received datagram, checked: nil if the head or any body byte is wrong.
    struct Checked: Equatable {
        var kind: Kind
        var sequence: UInt32
        var size: Int
        var source: Endpoint
    }

    static func check(_ datagram: ReceivedDatagram) -> Checked? {
        let bytes = datagram.bytes
        guard bytes.count >= headSize, let kind = Kind(rawValue: bytes[0]) else { return nil }
        let bodyLength = Int(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
        let sequence = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        guard bytes.count == headSize + bodyLength else { return nil }
        for i in 0..<bodyLength where bytes[headSize + i] != bodyByte(sequence, i) { return nil }
        return Checked(kind: kind, sequence: sequence, size: bytes.count, source: datagram.source)
    }
}
