/// A multi-fragment message being reassembled: one buffer of the message's length into which
/// fragments are copied at their offsets, and a bitmap of the fragments received.
final class PartialMessage {
    /// The header of the first fragment received; later fragments must agree with it.
    let first: DatagramHeader
    let buffer: PayloadBuffer
    // Confined to the reassembler's thread: no dynamic exclusivity checks per fragment.
    @exclusivity(unchecked) private var bitmap: [UInt64]
    @exclusivity(unchecked) private(set) var receivedFragments = 0
    @exclusivity(unchecked) private(set) var receivedBytes = 0
    let firstReceived: Instant
    @exclusivity(unchecked) private(set) var lastReceived: Instant

    /// Bytes charged against `ReassemblyLimits.maxBufferedBytes`.
    var cost: Int { PartialMessage.cost(of: first) }

    static func cost(of h: DatagramHeader) -> Int { h.messageLength + ((h.fragmentCount + 63) / 64) * 8 }

    init(first: DatagramHeader, buffer: PayloadBuffer, now: Instant) {
        self.first = first
        self.buffer = buffer
        self.bitmap = Array(repeating: 0, count: (first.fragmentCount + 63) / 64)
        self.firstReceived = now
        self.lastReceived = now
    }

    var isComplete: Bool { receivedFragments == first.fragmentCount }

    /// Whether `h` describes a fragment of the same message with the same geometry.
    func agrees(with h: DatagramHeader) -> Bool {
        h.kind == first.kind && h.generation == first.generation && h.fragmentCount == first.fragmentCount
            && h.messageLength == first.messageLength && h.metadataLength == first.metadataLength
            && h.stride == first.stride
    }

    /// Copies the fragment's bytes into place; returns false (copying nothing) if that
    /// fragment was already received.
    func place(_ h: DatagramHeader, bytes: UnsafeRawBufferPointer, now: Instant) -> Bool {
        let word = h.fragmentIndex >> 6
        let bit = UInt64(1) << UInt64(h.fragmentIndex & 63)
        guard bitmap[word] & bit == 0 else { return false }
        bitmap[word] |= bit
        UnsafeMutableRawBufferPointer(rebasing: buffer.mutableBytes[h.fragmentOffset..<(h.fragmentOffset + bytes.count)])
            .copyMemory(from: bytes)
        receivedFragments += 1
        receivedBytes += bytes.count
        lastReceived = now
        return true
    }

    /// What `expire` reports about this message.
    func report() -> IncompleteMessage {
        var metadata: Message?
        if bitmap[0] & 1 != 0 {
            let bytes = UnsafeRawBufferPointer(start: buffer.base, count: first.metadataLength)
            metadata = try? Message(type: first.type, metadata: bytes, payload: .empty)
        }
        return IncompleteMessage(
            id: first.id, type: first.type, kind: first.kind, generation: first.generation,
            receivedFragments: receivedFragments, totalFragments: first.fragmentCount,
            receivedBytes: receivedBytes, messageLength: first.messageLength, firstReceived: firstReceived,
            lastReceived: lastReceived, metadata: metadata)
    }
}
