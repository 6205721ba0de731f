/// An owned, fixed-size block of bytes: a reassembled message, a chunk read from disk, or
/// memory registered with a transport (a verbs memory region).
///
/// Written once by its producer, then shared read-only; `Payload` values are views into it,
/// so the bulk bytes of a chunk are never copied between decode, verify and store.
public final class PayloadBuffer: @unchecked Sendable {
    /// Start of the bytes; aligned to 64 bytes when allocated here.
    public let base: UnsafeMutableRawPointer
    /// Number of bytes.
    public let count: Int
    /// Set by the transport whose `allocate(count:)` made the buffer: its memory is
    /// registered there, so that transport sends from it without a copy or a lookup.
    public let registration: Registration?
    private let release: (@Sendable (UnsafeMutableRawPointer) -> Void)?

    /// Who registered a buffer's memory, and under which key.
    public struct Registration: Sendable, Equatable {
        /// The registering object (the verbs transport's buffer pool), which the buffer keeps
        /// alive, so the identity is not reused while the buffer exists.
        public let owner: ObjectIdentifier
        /// The owner's key for the memory (a verbs memory region's lkey).
        public let key: UInt32

        public init(owner: ObjectIdentifier, key: UInt32) {
            self.owner = owner
            self.key = key
        }
    }

    /// Allocates `count` uninitialized bytes (64-byte aligned), freed with the buffer.
    public init(count: Int) {
        precondition(count >= 0)
        self.base = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 64)
        self.count = count
        self.registration = nil
        self.release = nil
    }

    /// Wraps memory owned elsewhere; `release` runs when the buffer is freed. A transport that
    /// registered the memory says so in `registration`, and its `release` keeps the owner alive.
    public init(
        wrapping base: UnsafeMutableRawPointer, count: Int, registration: Registration? = nil,
        release: @escaping @Sendable (UnsafeMutableRawPointer) -> Void
    ) {
        self.base = base
        self.count = count
        self.registration = registration
        self.release = release
    }

    /// A new buffer holding a copy of `bytes`.
    public convenience init(copying bytes: some Collection<UInt8>) {
        self.init(count: bytes.count)
        var i = 0
        for b in bytes {
            base.storeBytes(of: b, toByteOffset: i, as: UInt8.self)
            i += 1
        }
    }

    deinit {
        if let release { release(base) } else { base.deallocate() }
    }

    /// All the bytes, mutable: only for the producer that fills the buffer.
    public var mutableBytes: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: base, count: count)
    }
}

/// A read-only view of a range of a `PayloadBuffer` (or nothing): the bulk bytes of a message.
public struct Payload: Sendable, Equatable, CustomStringConvertible {
    public let buffer: PayloadBuffer?
    public let range: Range<Int>

    /// No bytes.
    public static let empty = Payload(buffer: nil, range: 0..<0)

    public init(buffer: PayloadBuffer?, range: Range<Int>) {
        precondition(buffer != nil || range.isEmpty)
        if let buffer { precondition(range.lowerBound >= 0 && range.upperBound <= buffer.count) }
        self.buffer = buffer
        self.range = range
    }

    /// The whole of `buffer`.
    public init(_ buffer: PayloadBuffer) {
        self.init(buffer: buffer, range: 0..<buffer.count)
    }

    /// A new buffer holding a copy of `bytes` (for control messages and tests).
    public init(copying bytes: some Collection<UInt8>) {
        if bytes.isEmpty {
            self = .empty
        } else {
            self.init(PayloadBuffer(copying: bytes))
        }
    }

    public var count: Int { range.count }
    public var isEmpty: Bool { range.isEmpty }

    /// Calls `body` with the bytes; the pointer is valid only inside `body`.
    public func withUnsafeBytes<R, E: Error>(
        _ body: (UnsafeRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        guard let buffer else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try withExtendedLifetime(buffer) { () throws(E) -> R in
            try body(UnsafeRawBufferPointer(start: buffer.base + range.lowerBound, count: range.count))
        }
    }

    /// The sub-range `r` of this payload (relative offsets).
    public func slice(_ r: Range<Int>) -> Payload {
        precondition(r.lowerBound >= 0 && r.upperBound <= count)
        return Payload(buffer: buffer, range: (range.lowerBound + r.lowerBound)..<(range.lowerBound + r.upperBound))
    }

    /// A copy of the bytes as an array (tests, small control content).
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    public static func == (a: Payload, b: Payload) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBytes { pa in
            b.withUnsafeBytes { pb in
                pa.count == 0 || memcmpBytes(pa, pb)
            }
        }
    }

    public var description: String { "Payload(\(count) bytes)" }
}

@inline(__always)
private func memcmpBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    // Word-at-a-time comparison; the module stays free of C dependencies.
    var i = 0
    let n = a.count
    while i + 8 <= n {
        if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
            return false
        }
        i += 8
    }
    while i < n {
        if a[i] != b[i] { return false }
        i += 1
    }
    return true
}
