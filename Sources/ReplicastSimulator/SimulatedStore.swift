import ReplicastCore
import ReplicastWire

/// A server's chunk store, in memory. It survives the server's crashes: what was stored
/// before a crash is there after the restart (writes that had not completed are lost).
struct SimulatedStore {
    struct Chunk {
        var payload: Payload
        var designated: Bool
        var names: [ChunkName]
    }

    let capacity: UInt64
    private(set) var chunks: [HashID: Chunk] = [:]
    private(set) var usedBytes: UInt64 = 0

    init(capacity: UInt64) {
        self.capacity = capacity
    }

    var freeBytes: UInt64 { capacity - min(capacity, usedBytes) }

    func contains(_ hash: HashID) -> Bool { chunks[hash] != nil }

    func payload(of hash: HashID) -> Payload? { chunks[hash]?.payload }

    /// Verifies and stores a chunk, as the real store does before its ACK.
    mutating func store(_ request: StoreRequest) -> Result<Void, StoreFailure> {
        guard ContentHash.verify(request.payload, matches: request.contentHash) else { return .failure(.hashMismatch) }
        if var existing = chunks[request.contentHash] {
            existing.designated = existing.designated || request.designated
            if let name = request.name, !existing.names.contains(name) { existing.names.append(name) }
            chunks[request.contentHash] = existing
            return .success(())
        }
        guard UInt64(request.payload.count) <= freeBytes else { return .failure(.full) }
        chunks[request.contentHash] = Chunk(
            payload: request.payload, designated: request.designated, names: request.name.map { [$0] } ?? [])
        usedBytes += UInt64(request.payload.count)
        return .success(())
    }

    /// Reads a chunk for a get.
    func load(_ request: LoadRequest) -> Result<Payload, StoreFailure> {
        guard let chunk = chunks[request.contentHash] else { return .failure(.notFound) }
        return .success(chunk.payload)
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
