import ReplicastWire

/// A batch of datagrams to post in one call (sendmmsg / a chain of verbs send work requests).
///
/// Each datagram is a small *head* (the datagram header and any message metadata in that
/// fragment), copied into the batch's own head arena, followed by an optional *body*: a
/// range of a `PayloadBuffer` that is sent from where it lies, without a copy. A body in a
/// buffer the transport allocated (`DatagramTransport.allocate`) is in registered memory.
///
/// The batch is reusable: `removeAll()` keeps its storage, so steady-state sending does not
/// allocate.
public struct SendBatch: ~Copyable {
    /// One datagram of the batch.
    public struct Entry {
        public var destination: Destination
        /// Offset and length of the head in `heads`.
        public var headOffset: Int
        public var headLength: Int
        /// The body, or `.empty`.
        public var body: Payload
    }

    /// Bytes available for heads.
    public let headCapacity: Int
    /// The head arena; heads are packed one after another.
    public let heads: UnsafeMutableRawBufferPointer
    public private(set) var entries: [Entry]
    private var headUsed = 0

    /// A batch that holds up to `maxDatagrams` datagrams with up to `headCapacity` bytes of heads.
    public init(maxDatagrams: Int = 64, headCapacity: Int = 64 * 1024) {
        self.headCapacity = headCapacity
        self.heads = UnsafeMutableRawBufferPointer.allocate(byteCount: headCapacity, alignment: 64)
        self.entries = []
        self.entries.reserveCapacity(maxDatagrams)
        self.maxDatagrams = maxDatagrams
    }

    /// Upper bound on `entries.count`.
    public let maxDatagrams: Int

    deinit { heads.deallocate() }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }
    public var isFull: Bool { entries.count >= maxDatagrams }

    /// Bytes of heads still free.
    public var headSpaceLeft: Int { headCapacity - headUsed }

    /// Appends a datagram whose head is written by `writeHead` into `headLength` bytes.
    /// Returns false (and appends nothing) when the batch is full.
    @discardableResult
    public mutating func append(
        to destination: Destination, headLength: Int, body: Payload = .empty,
        writeHead: (UnsafeMutableRawBufferPointer) -> Void
    ) -> Bool {
        guard entries.count < maxDatagrams, headLength <= headCapacity - headUsed else { return false }
        let slot = UnsafeMutableRawBufferPointer(rebasing: heads[headUsed..<(headUsed + headLength)])
        writeHead(slot)
        entries.append(Entry(destination: destination, headOffset: headUsed, headLength: headLength, body: body))
        headUsed += headLength
        return true
    }

    /// The head bytes of entry `i`.
    public func head(_ i: Int) -> UnsafeRawBufferPointer {
        let e = entries[i]
        return UnsafeRawBufferPointer(rebasing: heads[e.headOffset..<(e.headOffset + e.headLength)])
    }

    /// Total bytes (heads and bodies) of the batch.
    public var byteCount: Int { entries.reduce(0) { $0 + $1.headLength + $1.body.count } }

    /// Empties the batch, keeping its storage.
    public mutating func removeAll() {
        entries.removeAll(keepingCapacity: true)
        headUsed = 0
    }
}
