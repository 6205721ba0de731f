/// Splits one message into datagrams without copying its bulk payload.
///
/// The metadata is encoded once, at init. Datagram `i` is `head(i)` (the header, plus the
/// metadata if `i` is 0) followed by `body(i)` (a slice of the message's payload, sent from
/// where it lies). Every datagram but the last carries `maxDatagramSize - 44` message bytes;
/// the metadata must fit in fragment 0.
///
/// ```swift
/// let f = try Fragmenter(envelope: e, maxDatagramSize: transport.maxDatagramSize)
/// for i in 0..<f.fragmentCount {
///     batch.append(to: group, headLength: f.headLength(of: i), body: f.body(of: i)) {
///         f.writeHead(of: i, into: $0)
///     }
/// }
/// ```
public struct Fragmenter: Sendable {
    /// Number of datagrams (1 or more).
    public let fragmentCount: Int
    /// Metadata plus payload bytes.
    public let messageLength: Int
    /// Message bytes carried by every fragment but the last.
    public let stride: Int
    /// Bytes of encoded metadata (all in fragment 0).
    public var metadataLength: Int { metadata.count }

    private let header: DatagramHeader
    private let metadata: [UInt8]
    private let payload: Payload

    /// Encodes `envelope`'s metadata for datagrams of at most `maxDatagramSize` bytes.
    ///
    /// Throws `.metadataTooLarge` if the metadata does not fit in one datagram after the
    /// header, `.messageTooLarge` if the message needs more than 65535 fragments or more than
    /// 2³²-1 bytes, `.listTooLong` or `.invalidField` if a field cannot be encoded.
    public init(envelope: Envelope, maxDatagramSize: Int) throws(WireError) {
        let (type, metadata, payload) = try envelope.message.encodeForWire()
        let stride = maxDatagramSize - WireFormat.headerSize
        guard stride >= metadata.count, stride > 0 else { throw .metadataTooLarge }
        let length = metadata.count + payload.count
        guard length <= Int(UInt32.max) else { throw .messageTooLarge }
        let count = (length + stride - 1) / stride
        guard count <= WireFormat.maxFragments else { throw .messageTooLarge }

        self.fragmentCount = count
        self.messageLength = length
        self.stride = stride
        self.metadata = metadata
        self.payload = payload
        self.header = DatagramHeader(
            headerLength: WireFormat.headerSize, type: type, kind: envelope.kind,
            id: envelope.id, generation: envelope.generation, fragmentIndex: 0, fragmentCount: count,
            fragmentOffset: 0, fragmentLength: 0, messageLength: length, metadataLength: metadata.count)
    }

    /// The message bytes of fragment `index`.
    private func range(of index: Int) -> Range<Int> {
        precondition(index >= 0 && index < fragmentCount, "fragment index out of range")
        let start = index * stride
        return start..<min(start + stride, messageLength)
    }

    /// The metadata bytes of fragment `index` (all of them for fragment 0, none for others).
    private func metadataRange(of index: Int) -> Range<Int> {
        let r = range(of: index)
        return min(r.lowerBound, metadata.count)..<min(r.upperBound, metadata.count)
    }

    /// Bytes of head `index`: the header plus the metadata it carries.
    public func headLength(of index: Int) -> Int {
        WireFormat.headerSize + metadataRange(of: index).count
    }

    /// Writes head `index` (`headLength(of: index)` bytes) into `head`.
    public func writeHead(of index: Int, into head: UnsafeMutableRawBufferPointer) {
        let r = range(of: index)
        var h = header
        h.fragmentIndex = index
        h.fragmentOffset = r.lowerBound
        h.fragmentLength = r.count
        let m = metadataRange(of: index)
        metadata.withUnsafeBytes { h.write(into: head, metadata: UnsafeRawBufferPointer(rebasing: $0[m])) }
    }

    /// The payload bytes of datagram `index`, a view of the message's payload.
    public func body(of index: Int) -> Payload {
        let r = range(of: index)
        let start = max(r.lowerBound, metadata.count) - metadata.count
        let end = r.upperBound - metadata.count
        return start < end ? payload.slice(start..<end) : .empty
    }

    /// Datagram `index` as one array (tests and tools; senders use head and body).
    public func datagram(_ index: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: headLength(of: index))
        bytes.withUnsafeMutableBytes { writeHead(of: index, into: $0) }
        bytes.append(contentsOf: body(of: index).bytes)
        return bytes
    }
}
