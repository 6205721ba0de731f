import ReplicastCore
import ReplicastWire

/// A server's chunk store, in memory, as a disk with a volatile write cache sees it: a
/// write puts the chunk in the cache (written, not yet flushed), a flush makes it durable.
/// The durable chunks survive the server's crashes; a crash loses what was written and
/// not yet flushed. Reads see both (the page cache).
struct SimulatedStore {
    struct Chunk {
        var payload: Payload
        var designated: Bool
        var names: [ChunkName]
    }

    let capacity: UInt64
    /// Flushed chunks: what a restart finds.
    private(set) var chunks: [HashID: Chunk] = [:]
    /// Written and not yet flushed.
    private(set) var unflushed: [HashID: Chunk] = [:]
    private(set) var usedBytes: UInt64 = 0
    /// Bytes taken by something else than chunks (another tenant filled the disk).
    private(set) var foreignBytes: UInt64 = 0

    init(capacity: UInt64) {
        self.capacity = capacity
    }

    var freeBytes: UInt64 { capacity - min(capacity, usedBytes + foreignBytes) }

    /// Whether the chunk is written (flushed or not).
    func contains(_ hash: HashID) -> Bool { chunks[hash] != nil || unflushed[hash] != nil }

    /// Whether the chunk is flushed: it survives a crash.
    func isDurable(_ hash: HashID) -> Bool { chunks[hash] != nil }

    func payload(of hash: HashID) -> Payload? { (chunks[hash] ?? unflushed[hash])?.payload }

    /// Verifies a chunk and writes it (not yet flushed), as the real store does before it
    /// flushes and the server ACKs.
    mutating func write(_ request: StoreRequest) -> Result<Void, StoreFailure> {
        guard ContentHash.verify(request.payload, matches: request.contentHash) else { return .failure(.hashMismatch) }
        func merge(_ existing: inout Chunk) {
            existing.designated = existing.designated || request.designated
            if let name = request.name, !existing.names.contains(name) { existing.names.append(name) }
        }
        if chunks[request.contentHash] != nil {
            merge(&chunks[request.contentHash]!)
            return .success(())
        }
        if unflushed[request.contentHash] != nil {
            merge(&unflushed[request.contentHash]!)
            return .success(())
        }
        guard UInt64(request.payload.count) <= freeBytes else { return .failure(.full) }
        unflushed[request.contentHash] = Chunk(
            payload: request.payload, designated: request.designated, names: request.name.map { [$0] } ?? [])
        usedBytes += UInt64(request.payload.count)
        return .success(())
    }

    /// Flushes a written chunk: it is durable from now on.
    mutating func flush(_ hash: HashID) {
        guard let chunk = unflushed.removeValue(forKey: hash) else { return }
        chunks[hash] = chunk
    }

    /// The server crashed: what was not flushed is lost.
    mutating func crash() {
        for chunk in unflushed.values { usedBytes -= UInt64(chunk.payload.count) }
        unflushed = [:]
    }

    /// Something else takes every free byte of the disk.
    mutating func fill() {
        foreignBytes += freeBytes
    }

    /// Reads a chunk for a get.
    func load(_ request: LoadRequest) -> Result<Payload, StoreFailure> {
        guard let payload = payload(of: request.contentHash) else { return .failure(.notFound) }
        return .success(payload)
    }

    /// What a restarting server learns from its store.
    func catalog() -> ChunkCatalog {
        var catalog = ChunkCatalog()
        for hash in chunks.keys.sorted() {
            let chunk = chunks[hash]!
            catalog.add(hash, length: UInt64(chunk.payload.count), designated: chunk.designated)
            for name in chunk.names {
                catalog.add(hash, length: UInt64(chunk.payload.count), designated: chunk.designated, name: name)
            }
        }
        return catalog
    }
}
