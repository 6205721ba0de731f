/// Why bytes could not be decoded into, or a value could not be encoded as, Replicast
/// datagrams. One case per failure, no payloads, so counters can be kept per case without
/// allocating (`rawValue` indexes them). `docs/PROTOCOL.md` ("Validation") says which
/// rule each case stands for.
public enum WireError: UInt8, Error, Equatable, Hashable, Sendable, CaseIterable {
    /// The datagram is shorter than its header, or the metadata is shorter than its fields.
    case truncated = 1
    /// The datagram does not start with the magic number.
    case badMagic = 2
    /// The protocol version is not one this decoder implements.
    case unsupportedVersion = 3
    /// The header length is below the fixed header size or not a multiple of 4.
    case badHeaderLength = 4
    /// The message type code is not defined.
    case unknownMessageType = 5
    /// The request/response/notification code is not defined.
    case badKind = 6
    /// The CRC-32C over the header and metadata does not match.
    case checksumMismatch = 7
    /// Fragment index, count, offset or length lie outside the message.
    case fragmentOutOfRange = 8
    /// A fragment disagrees with earlier fragments of the same message, or breaks the
    /// equal-stride fragmentation rule.
    case inconsistentFragment = 9
    /// The message is longer than the receiver accepts (or than the wire can describe).
    case messageTooLarge = 10
    /// The metadata is longer than the message, or does not fit in fragment 0.
    case metadataTooLarge = 11
    /// The metadata has bytes left over after its last field.
    case trailingMetadata = 12
    /// A list (members, stored-on servers, reception windows) is longer than its cap.
    case listTooLong = 13
    /// A field holds a value outside its domain (an undefined enum code, a reserved field
    /// that is not zero, a duration beyond `Int64.max` nanoseconds, an empty version range).
    case invalidField = 14
    /// The message type carries no bulk payload but the message has bytes after its metadata.
    case unexpectedPayload = 15
    /// Buffering this message would exceed the reassembler's memory bound.
    case reassemblyMemoryExhausted = 16
    /// The reassembler already holds its maximum number of incomplete messages.
    case tooManyIncompleteMessages = 17
}
