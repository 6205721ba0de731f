/// The fixed header at the start of every datagram (FIG. 22, docs/PROTOCOL.md "Datagram
/// header"): 44 bytes in version 1, big-endian.
///
/// ```
///  0  magic "RPLC"        4    20  generation        4
///  4  version             1    24  fragment index    2
///  5  header length       1    26  fragment count    2
///  6  message type        1    28  fragment offset   4
///  7  kind                1    32  message length    4
///  8  source NodeID       4    36  metadata length   4
/// 12  sequence            4    40  CRC-32C           4
/// 16  sub-sequence        2
/// 18  reserved (0)        2
/// ```
///
/// The datagram carries message bytes `[fragmentOffset, fragmentOffset + fragmentLength)`
/// after `headerLength` header bytes. Fragments have one stride: every fragment but the last
/// carries exactly `stride` bytes at `index × stride`, the last the remaining 1...stride bytes.
public struct DatagramHeader: Sendable, Equatable {
    /// Header bytes before the message bytes: 44, or more when a later minor revision adds
    /// fields (skipped, but covered by the checksum).
    public var headerLength: Int
    public var type: MessageType
    public var kind: MessageKind
    /// The message's identity (source, sequence, sub-sequence).
    public var id: RequestID
    public var generation: UInt32
    public var fragmentIndex: Int
    public var fragmentCount: Int
    /// Where this datagram's message bytes start within the message.
    public var fragmentOffset: Int
    /// How many message bytes this datagram carries.
    public var fragmentLength: Int
    /// Metadata plus bulk payload.
    public var messageLength: Int
    public var metadataLength: Int

    /// The fragment stride of the message, as implied by this fragment.
    public var stride: Int {
        if fragmentIndex == fragmentCount - 1 {
            return fragmentIndex == 0 ? fragmentLength : fragmentOffset / fragmentIndex
        }
        return fragmentLength
    }

    /// A header with the given fields (no validation: `write` sends what it is given).
    public init(
        headerLength: Int = WireFormat.headerSize, type: MessageType, kind: MessageKind, id: RequestID,
        generation: UInt32, fragmentIndex: Int, fragmentCount: Int, fragmentOffset: Int, fragmentLength: Int,
        messageLength: Int, metadataLength: Int
    ) {
        self.headerLength = headerLength
        self.type = type
        self.kind = kind
        self.id = id
        self.generation = generation
        self.fragmentIndex = fragmentIndex
        self.fragmentCount = fragmentCount
        self.fragmentOffset = fragmentOffset
        self.fragmentLength = fragmentLength
        self.messageLength = messageLength
        self.metadataLength = metadataLength
    }

    /// Parses and validates the header of one datagram: structure, checksum, codes and the
    /// fragment geometry that a single datagram can show. Reads nothing outside `datagram`.
    public init(parsing datagram: UnsafeRawBufferPointer) throws(WireError) {
        guard datagram.count >= WireFormat.headerSize else { throw .truncated }
        func u8(_ at: Int) -> UInt8 { datagram[at] }
        func u16(_ at: Int) -> Int { Int(UInt16(bigEndian: datagram.loadUnaligned(fromByteOffset: at, as: UInt16.self))) }
        func u32(_ at: Int) -> UInt32 { UInt32(bigEndian: datagram.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }

        guard u32(0) == WireFormat.magic else { throw .badMagic }
        guard u8(4) == WireFormat.version else { throw .unsupportedVersion }
        let headerLength = Int(u8(5))
        guard headerLength >= WireFormat.headerSize, headerLength % 4 == 0 else { throw .badHeaderLength }
        guard headerLength <= datagram.count else { throw .truncated }

        let fragmentOffset = Int(u32(28))
        let metadataLength = Int(u32(36))
        let fragment = UnsafeRawBufferPointer(rebasing: datagram[headerLength...])
        let covered = DatagramHeader.metadataPart(of: fragment, offset: fragmentOffset, metadataLength: metadataLength)
        var crc = CRC32C()
        crc.update(UnsafeRawBufferPointer(rebasing: datagram[..<WireFormat.checksumOffset]))
        crc.updateZeros(4)
        crc.update(UnsafeRawBufferPointer(rebasing: datagram[(WireFormat.checksumOffset + 4)..<headerLength]))
        crc.update(covered)
        guard crc.value == u32(WireFormat.checksumOffset) else { throw .checksumMismatch }

        guard let type = MessageType(rawValue: u8(6)) else { throw .unknownMessageType }
        guard let kind = MessageKind(rawValue: u8(7)) else { throw .badKind }
        guard u16(18) == 0 else { throw .invalidField }

        self.headerLength = headerLength
        self.type = type
        self.kind = kind
        self.id = RequestID(source: NodeID(u32(8)), sequence: u32(12), subsequence: UInt16(u16(16)))
        self.generation = u32(20)
        self.fragmentIndex = u16(24)
        self.fragmentCount = u16(26)
        self.fragmentOffset = fragmentOffset
        self.fragmentLength = fragment.count
        self.messageLength = Int(u32(32))
        self.metadataLength = metadataLength
        try validateGeometry()
    }

    /// The fragment rules of docs/PROTOCOL.md ("Fragmentation") that one datagram can break.
    private func validateGeometry() throws(WireError) {
        let (i, c, o, n, l) = (fragmentIndex, fragmentCount, fragmentOffset, fragmentLength, messageLength)
        guard c >= 1, i < c, n >= 1, o + n <= l else { throw .fragmentOutOfRange }
        guard metadataLength <= l else { throw .metadataTooLarge }
        if i == c - 1 {
            guard o + n == l else { throw .inconsistentFragment }
            if i > 0 { guard o % i == 0, n <= o / i else { throw .inconsistentFragment } }
        } else {
            guard o == i * n else { throw .inconsistentFragment }
        }
        let s = stride
        guard (c - 1) * s < l, l <= c * s else { throw .inconsistentFragment }
        guard metadataLength <= s else { throw .metadataTooLarge }
    }

    /// The bytes of `fragment` (message bytes from `offset`) that lie in the metadata region.
    static func metadataPart(
        of fragment: UnsafeRawBufferPointer, offset: Int, metadataLength: Int
    ) -> UnsafeRawBufferPointer {
        guard offset < metadataLength else { return UnsafeRawBufferPointer(rebasing: fragment[0..<0]) }
        return UnsafeRawBufferPointer(rebasing: fragment[..<min(fragment.count, metadataLength - offset)])
    }

    /// Writes this header (always `WireFormat.headerSize` bytes, whatever `headerLength`
    /// says) followed by `metadata`, the metadata bytes this datagram carries, into `head`,
    /// and sets the checksum over both.
    func write(into head: UnsafeMutableRawBufferPointer, metadata: UnsafeRawBufferPointer) {
        precondition(head.count >= WireFormat.headerSize + metadata.count)
        func put<T: FixedWidthInteger>(_ v: T, _ at: Int) { head.storeBytes(of: v.bigEndian, toByteOffset: at, as: T.self) }
        put(WireFormat.magic, 0)
        put(WireFormat.version, 4)
        put(UInt8(WireFormat.headerSize), 5)
        put(type.rawValue, 6)
        put(kind.rawValue, 7)
        put(id.source.rawValue, 8)
        put(id.sequence, 12)
        put(id.subsequence, 16)
        put(UInt16(0), 18)
        put(generation, 20)
        put(UInt16(fragmentIndex), 24)
        put(UInt16(fragmentCount), 26)
        put(UInt32(fragmentOffset), 28)
        put(UInt32(messageLength), 32)
        put(UInt32(metadataLength), 36)
        put(UInt32(0), WireFormat.checksumOffset)
        let end = WireFormat.headerSize + metadata.count
        if metadata.count > 0 {
            UnsafeMutableRawBufferPointer(rebasing: head[WireFormat.headerSize..<end]).copyMemory(from: metadata)
        }
        let crc = CRC32C.checksum(of: UnsafeRawBufferPointer(rebasing: head[..<end]))
        put(crc, WireFormat.checksumOffset)
    }
}
