#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ReplicastCore
import ReplicastWire
import Synchronization
import SystemPackage

/// A storage server's persistent, content-addressed chunk store.
///
/// Each chunk is one file named by its Content Hash ID (see `StoreLayout`). Guarantees:
/// - `put` verifies the payload against its hash before anything is written, and returns only
///   once the chunk is durable: written to a temporary file, fsynced, renamed into place and
///   the directory fsynced. A chunk is never visible under its final name half written;
///   temporary files left by a crash are removed when the store opens.
/// - `get` hashes what it read; bytes that do not match are never returned (`.corrupt`), and
///   the bad copy is dropped.
/// - Chunks may also be indexed by name (bucket, name, version) for version manifests.
/// - Volunteer copies can be evicted; designated chunks are removed only by `remove`.
/// - A put that would exceed the quota or the filesystem's free space fails with `.full`.
///
/// The index lives in memory and is rebuilt from the directory when the store opens, so a
/// restarted node sees every chunk it acknowledged. One store at a time may open a directory
/// (an exclusive `flock`, released when the store is deinitialized).
///
/// Thread-safe: the index is guarded by a mutex. Hashing and writing a chunk's bytes and
/// reading them back run outside the lock; the step that makes a chunk or name visible
/// (rename, directory fsync, index update) runs inside it, so whatever the index shows is
/// durable.
public final class ChunkStore: Sendable {
    /// The store's root directory.
    public let path: FilePath
    /// The configured maximum of stored payload bytes, if any.
    public let quotaBytes: Int?
    /// How many temporary files (chunks being written when a previous process stopped) were
    /// removed when the store opened.
    public let discardedTemporaryFiles: Int

    /// Held open for its lock.
    private let root: StoreDirectory
    private let chunks: StoreDirectory
    private let names: StoreDirectory
    private let state: Mutex<State>

    private struct State {
        var index = ChunkIndex()
        /// Bytes of puts that passed the capacity check and are being written.
        var reservedBytes = 0
        /// Distinguishes temporary files of concurrent writers.
        var nextTemporary: UInt64 = 0
    }

    /// Opens (creating if needed) the store in `directory` and rebuilds its index.
    ///
    /// - Parameter quotaBytes: the most payload bytes to store; nil for no limit beyond the
    ///   filesystem's free space.
    public init(directory: FilePath, quotaBytes: Int? = nil) throws(StoreError) {
        let root = try attempt("open store directory \(directory)") { () throws(Errno) -> StoreDirectory in
            try StoreDirectory(opening: directory, create: true)
        }
        do throws(Errno) {
            try root.lockExclusively()
        } catch {
            if error == .wouldBlock { throw .locked(path: directory.string) }
            throw .io(operation: "lock \(directory)", error)
        }
        let chunks = try attempt("open \(directory)/\(StoreLayout.chunksDirectory)") { () throws(Errno) -> StoreDirectory in
            try root.subdirectory(StoreLayout.chunksDirectory, create: true)
        }
        let names = try attempt("open \(directory)/\(StoreLayout.namesDirectory)") { () throws(Errno) -> StoreDirectory in
            try root.subdirectory(StoreLayout.namesDirectory, create: true)
        }
        var index = ChunkIndex()
        self.discardedTemporaryFiles = try Self.scanChunks(chunks, into: &index)
        try Self.scanNames(names, into: &index)

        self.path = directory
        self.quotaBytes = quotaBytes
        self.root = root
        self.chunks = chunks
        self.names = names
        self.state = Mutex(State(index: index))
    }

    // MARK: Put

    /// Stores `payload` as the chunk `hash`, durably, before returning.
    ///
    /// Storing a chunk that is already present writes nothing (a designated put upgrades a
    /// volunteer copy). With `name`, the chunk is also indexed as that version.
    ///
    /// - Returns: whether new bytes were written.
    /// - Throws: `.hashMismatch` (nothing written), `.full`, `.nameConflict`, `.io`.
    @discardableResult
    public func put(
        _ payload: Payload, hash: HashID, named name: ChunkName? = nil, as role: ChunkRole = .designated
    ) throws(StoreError) -> Bool {
        let actual = ContentHash.of(payload)
        guard actual == hash else { throw .hashMismatch(expected: hash, actual: actual) }
        let length = payload.count

        let sequence: UInt64? = try state.withLock { state throws(StoreError) -> UInt64? in
            try checkName(name, for: hash, in: state.index)
            if state.index[hash] != nil {
                try commitExisting(hash, role: role, name: name, in: &state)
                return nil
            }
            let available = freeBytes(state)
            guard length <= available else { throw .full(needed: length, available: available) }
            state.reservedBytes += length
            state.nextTemporary += 1
            return state.nextTemporary
        }
        guard let sequence else { return false }

        let temporary = StoreLayout.temporaryFile(hash, sequence: sequence)
        do {
            try writeDurably(payload, to: temporary)
        } catch {
            let available = state.withLock { state in
                state.reservedBytes -= length
                return freeBytes(state)
            }
            if case .io(_, let errno) = error, errno == .noSpace || errno == .diskQuotaExceeded {
                throw .full(needed: length, available: available)
            }
            throw error
        }

        return try state.withLock { state throws(StoreError) -> Bool in
            state.reservedBytes -= length
            if state.index[hash] != nil {
                // Another writer stored the same chunk meanwhile.
                _ = try? chunks.unlink(temporary)
                try commitExisting(hash, role: role, name: name, in: &state)
                return false
            }
            let final = StoreLayout.chunkFile(hash, role)
            do throws(Errno) {
                try chunks.rename(temporary, to: final)
            } catch {
                _ = try? chunks.unlink(temporary)
                throw .io(operation: "rename chunk \(hash.hex)", error)
            }
            do throws(Errno) {
                try chunks.sync()
            } catch {
                _ = try? chunks.unlink(final)
                throw .io(operation: "sync chunk directory", error)
            }
            state.index.insert(hash, length: length, role: role)
            try checkName(name, for: hash, in: state.index)
            if let name { try recordName(name, for: hash, in: &state) }
            return true
        }
    }

    /// Writes `payload` to the new file `file` and fsyncs it; removes the file on failure.
    private func writeDurably(_ payload: Payload, to file: String) throws(StoreError) {
        let fd = try attempt("create \(file)") { () throws(Errno) -> FileDescriptor in
            try chunks.openFile(file, .writeOnly, options: [.create, .truncate])
        }
        do throws(Errno) {
            try payload.withUnsafeBytes { (bytes) throws(Errno) in try fd.writeFully(bytes) }
            try StoreDirectory.sync(fd)
            try fd.closeChecked()
        } catch {
            try? fd.close()
            _ = try? chunks.unlink(file)
            throw .io(operation: "write \(file)", error)
        }
    }

    /// Put of a chunk already in the index: upgrade a volunteer copy if the put is designated,
    /// and add the name. Called with the lock held.
    private func commitExisting(
        _ hash: HashID, role: ChunkRole, name: ChunkName?, in state: inout State
    ) throws(StoreError) {
        guard let entry = state.index[hash] else { return }
        if entry.role == .volunteer && role == .designated {
            try attempt("promote chunk \(hash.hex)") { () throws(Errno) -> Void in
                try chunks.rename(StoreLayout.chunkFile(hash, .volunteer), to: StoreLayout.chunkFile(hash, .designated))
                try chunks.sync()
            }
        }
        state.index.insert(hash, length: entry.length, role: role)
        if let name { try recordName(name, for: hash, in: &state) }
    }

    /// Throws if `name` already names a different chunk.
    private func checkName(_ name: ChunkName?, for hash: HashID, in index: ChunkIndex) throws(StoreError) {
        guard let name, let existing = index.hash(named: name), existing != hash else { return }
        throw .nameConflict(name, existing: existing)
    }

    /// Creates the (empty) record for `name` and syncs the directory. Called with the lock held.
    private func recordName(_ name: ChunkName, for hash: HashID, in state: inout State) throws(StoreError) {
        guard state.index.hash(named: name) == nil else { return }
        let record = StoreLayout.nameRecord(name, hash)
        try attempt("record name \(record)") { () throws(Errno) -> Void in
            let fd = try names.openFile(record, .writeOnly, options: [.create])
            try fd.closeChecked()
            try names.sync()
        }
        state.index.addName(name, to: hash)
    }

    // MARK: Get

    /// Reads the chunk `hash` into memory obtained from `allocate` (called once, with the
    /// chunk's length) and verifies it against its hash.
    ///
    /// Lets a transport read straight into registered memory. The returned payload views the
    /// first `length` bytes of the allocated buffer.
    ///
    /// - Throws: `.notFound`, `.corrupt` (the copy is dropped), `.allocationFailed`,
    ///   `.bufferTooSmall`, `.io`.
    public func get(_ hash: HashID, into allocate: (Int) throws -> PayloadBuffer) throws(StoreError) -> Payload {
        // A concurrent promotion renames the file, so look it up again if it vanished.
        for _ in 0..<3 {
            let (length, role) = try state.withLock { state throws(StoreError) in
                guard let entry = state.index[hash] else { throw .notFound(hash) }
                state.index.touch(hash)
                return (entry.length, entry.role)
            }
            let file = StoreLayout.chunkFile(hash, role)
            let fd: FileDescriptor
            do throws(Errno) {
                fd = try chunks.openFile(file, .readOnly)
            } catch {
                if error == .noSuchFileOrDirectory { continue }
                throw .io(operation: "open chunk \(hash.hex)", error)
            }
            defer { try? fd.close() }

            let buffer: PayloadBuffer
            do {
                buffer = try allocate(length)
            } catch {
                throw .allocationFailed(needed: length, underlying: error)
            }
            guard buffer.count >= length else { throw .bufferTooSmall(needed: length, provided: buffer.count) }
            let read = try attempt("read chunk \(hash.hex)") { () throws(Errno) -> Int in
                try fd.readFully(into: UnsafeMutableRawBufferPointer(start: buffer.base, count: length))
            }
            let payload = Payload(buffer: buffer, range: 0..<length)
            guard read == length, ContentHash.of(payload) == hash else {
                try? dropCorrupt(hash, role: role)
                throw .corrupt(hash)
            }
            return payload
        }
        throw .notFound(hash)
    }

    /// Reads and verifies the chunk `hash` into a newly allocated buffer.
    public func get(_ hash: HashID) throws(StoreError) -> Payload {
        try get(hash, into: { PayloadBuffer(count: $0) })
    }

    /// Removes a copy found corrupt, unless it was replaced meanwhile.
    private func dropCorrupt(_ hash: HashID, role: ChunkRole) throws(StoreError) {
        try state.withLock { state throws(StoreError) in
            guard state.index[hash]?.role == role else { return }
            try removeLocked([hash], in: &state)
        }
    }

    // MARK: Lookup

    /// Whether the store holds the chunk `hash`.
    public func contains(_ hash: HashID) -> Bool {
        state.withLock { $0.index[hash] != nil }
    }

    /// The payload length of the chunk `hash`, if held.
    public func length(of hash: HashID) -> Int? {
        state.withLock { $0.index[hash]?.length }
    }

    /// What the store knows about the chunk `hash`, if held.
    public func chunk(_ hash: HashID) -> StoredChunk? {
        state.withLock { state in
            state.index[hash].map { StoredChunk(hash: hash, length: $0.length, role: $0.role, names: $0.names) }
        }
    }

    /// Every chunk held, in no particular order.
    public func allChunks() -> [StoredChunk] {
        state.withLock { state in
            state.index.entries.map { StoredChunk(hash: $0.key, length: $0.value.length, role: $0.value.role, names: $0.value.names) }
        }
    }

    /// The chunk stored as exactly this name and version.
    public func chunk(named name: ChunkName) -> HashID? {
        state.withLock { $0.index.hash(named: name) }
    }

    /// The newest version of `bucket`/`name` whose version lies in `versions`, with its chunk.
    public func newestVersion(bucket: HashID, name: HashID, in versions: ClosedRange<UInt64>) -> (ChunkName, HashID)? {
        state.withLock { $0.index.newestVersion(bucket: bucket, name: name, in: versions) }
    }

    // MARK: Capacity

    /// Payload bytes of all stored chunks.
    public var usedBytes: Int {
        state.withLock { $0.index.usedBytes }
    }

    /// Payload bytes a put may still store: the smaller of what the quota leaves and the
    /// filesystem's free space (less puts in progress). Zero if free space cannot be read.
    public var freeBytes: Int {
        state.withLock { freeBytes($0) }
    }

    /// `usedBytes + freeBytes`: what the store could hold in total right now.
    public var capacityBytes: Int {
        state.withLock { $0.index.usedBytes + freeBytes($0) }
    }

    private func freeBytes(_ state: State) -> Int {
        let filesystem = (try? chunks.availableBytes()) ?? 0
        var free = max(0, filesystem - state.reservedBytes)
        if let quotaBytes {
            free = min(free, max(0, quotaBytes - state.index.usedBytes - state.reservedBytes))
        }
        return free
    }

    // MARK: Removal

    /// Removes the chunk `hash` and its names, durably.
    public func remove(_ hash: HashID) throws(StoreError) {
        try state.withLock { state throws(StoreError) in
            guard state.index[hash] != nil else { throw .notFound(hash) }
            try removeLocked([hash], in: &state)
        }
    }

    /// What `evictVolunteers(toFree:)` removed.
    public struct Eviction: Sendable, Hashable {
        /// The volunteer copies removed.
        public var hashes: [HashID]
        /// Their total payload bytes.
        public var freedBytes: Int
    }

    /// Removes volunteer copies, least recently used first, until at least `bytes` are freed
    /// or none are left. Designated chunks are never removed.
    @discardableResult
    public func evictVolunteers(toFree bytes: Int) throws(StoreError) -> Eviction {
        try state.withLock { state throws(StoreError) -> Eviction in
            let victims = state.index.evictionCandidates(toFree: bytes)
            let freed = victims.reduce(0) { $0 + (state.index[$1]?.length ?? 0) }
            try removeLocked(victims, in: &state)
            return Eviction(hashes: victims, freedBytes: freed)
        }
    }

    /// Deletes the name records, then the chunk files, syncing each directory once; the index
    /// follows. Called with the lock held.
    private func removeLocked(_ hashes: [HashID], in state: inout State) throws(StoreError) {
        guard !hashes.isEmpty else { return }
        let records = hashes.flatMap { hash in
            (state.index[hash]?.names ?? []).map { StoreLayout.nameRecord($0, hash) }
        }
        if !records.isEmpty {
            try attempt("remove name records") { () throws(Errno) -> Void in
                for record in records { try names.unlink(record) }
                try names.sync()
            }
        }
        for hash in hashes {
            guard let role = state.index[hash]?.role else { continue }
            try attempt("remove chunk \(hash.hex)") { () throws(Errno) -> Void in
                try chunks.unlink(StoreLayout.chunkFile(hash, role))
            }
            state.index.remove(hash)
        }
        try attempt("sync chunk directory") { () throws(Errno) -> Void in try chunks.sync() }
    }

    // MARK: Opening

    /// Indexes the chunk files; removes temporary files and duplicate volunteer copies of
    /// designated chunks. Returns the number of temporary files removed.
    private static func scanChunks(_ chunks: borrowing StoreDirectory, into index: inout ChunkIndex) throws(StoreError) -> Int {
        let files = try attempt("list \(chunks.path)") { () throws(Errno) -> [String] in try chunks.entryNames() }
        var discarded = 0
        var removedAny = false
        for file in files {
            switch StoreLayout.classifyChunkFile(file) {
            case .temporary:
                try attempt("remove \(file)") { () throws(Errno) -> Bool in try chunks.unlink(file) }
                discarded += 1
                removedAny = true
            case .chunk(let hash, let role):
                guard let size = try attempt("stat \(file)", { () throws(Errno) -> Int? in try chunks.regularFileSize(file) })
                else { continue }
                if let existing = index[hash] {
                    // Both copies of one chunk: keep the designated file only.
                    let volunteerFile = StoreLayout.chunkFile(hash, .volunteer)
                    try attempt("remove \(volunteerFile)") { () throws(Errno) -> Bool in try chunks.unlink(volunteerFile) }
                    removedAny = true
                    index.insert(hash, length: existing.length, role: .designated)
                } else {
                    index.insert(hash, length: size, role: role)
                }
            case .unknown:
                continue
            }
        }
        if removedAny {
            try attempt("sync \(chunks.path)") { () throws(Errno) -> Void in try chunks.sync() }
        }
        return discarded
    }

    /// Indexes the name records; removes records whose chunk is gone (left by a removal that
    /// stopped halfway) or that conflict with an earlier record.
    private static func scanNames(_ names: borrowing StoreDirectory, into index: inout ChunkIndex) throws(StoreError) {
        let files = try attempt("list \(names.path)") { () throws(Errno) -> [String] in try names.entryNames() }
        var removedAny = false
        for file in files.sorted() {
            guard let (name, hash) = StoreLayout.parseNameRecord(file) else { continue }
            if index[hash] == nil || index.hash(named: name) != nil {
                try attempt("remove \(file)") { () throws(Errno) -> Bool in try names.unlink(file) }
                removedAny = true
            } else {
                index.addName(name, to: hash)
            }
        }
        if removedAny {
            try attempt("sync \(names.path)") { () throws(Errno) -> Void in try names.sync() }
        }
    }
}

/// Runs a system-call sequence, naming the operation in the error.
@discardableResult
private func attempt<T: ~Copyable>(_ operation: @autoclosure () -> String, _ body: () throws(Errno) -> T) throws(StoreError) -> T {
    do {
        return try body()
    } catch {
        throw .io(operation: operation(), error)
    }
}
