#if canImport(Glibc)
import Glibc
#endif
import ReplicastCore
import ReplicastWire

/// What a put of an object did.
public struct ObjectPutReport: Sendable {
    public var bucket: String
    public var key: String
    public var size: UInt64
    public var version: UInt64
    /// Each payload chunk with the servers that hold it after the put.
    public var placements: [(chunk: HashID, servers: [NodeID])]
    /// Chunks that were already stored (deduplicated: no payload sent).
    public var deduplicated: Int
    /// Where the version manifest landed.
    public var manifestServers: [NodeID]
    public var seconds: Double
    /// Payload bytes the client's transport put on the wire for this object.
    public var bytesSent: UInt64
}

/// What a get of an object did.
public struct ObjectGetReport: Sendable {
    public var size: UInt64
    public var chunks: Int
    public var version: UInt64
    public var seconds: Double
    /// Chunks whose delivery volunteers joined.
    public var volunteered: Int
}

/// Why an object operation failed, with a one-line reason.
public enum ObjectError: Error, CustomStringConvertible {
    case io(String)
    case put(PutError)
    case get(GetError)
    case notFound(bucket: String, key: String)
    case badManifest(VersionManifest.DecodeError)

    public var description: String {
        switch self {
        case .io(let s): return s
        case .put(let e): return "put failed: \(e)"
        case .get(let e): return "get failed: \(e)"
        case .notFound(let b, let k): return "object \(b)/\(k) not found"
        case .badManifest(let e): return "bad manifest: \(e)"
        }
    }
}

extension ReplicastClient {
    /// Cuts the file at `path` into chunks, puts each with the wanted replicas, then puts the
    /// version manifest that lists them under bucket/key.
    public func putObject(
        path: String, bucket: String, key: String, chunkSize: Int = 1 << 20, replicas: Int? = nil,
        consensus: ConsensusMode? = nil, window: Int = 4, progress: (UInt64, UInt64) -> Void = { _, _ in }
    ) throws(ObjectError) -> ObjectPutReport {
        let start = WallClock.now()
        let before = transportCounters.bytesSent
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw .io("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .io("cannot stat \(path)") }
        let size = UInt64(st.st_size)
        let count = Int((size + UInt64(chunkSize) - 1) / UInt64(chunkSize))

        var lengths: [UInt32] = []
        let results: [Result<PutReceipt, PutError>]
        do {
            results = try putChunks(
                count: count, replicas: replicas, consensus: consensus, window: window,
                chunk: { i throws(ObjectError) -> Payload in
                    let offset = UInt64(i) * UInt64(chunkSize)
                    let length = Int(min(UInt64(chunkSize), size - offset))
                    let buffer: PayloadBuffer
                    do { buffer = try allocate(count: length) } catch { throw .io("cannot allocate \(length) bytes: \(error)") }
                    var got = 0
                    while got < length {
                        let n = pread(fd, buffer.base + got, length - got, off_t(offset) + off_t(got))
                        guard n > 0 else { throw .io("read of \(path) failed at \(offset + UInt64(got))") }
                        got += n
                    }
                    lengths.append(UInt32(length))
                    return Payload(buffer)
                },
                progress: { done in progress(min(size, UInt64(done) * UInt64(chunkSize)), size) })
        } catch let e as ObjectError {
            throw e
        } catch {
            throw .io("\(error)")
        }
        var references: [VersionManifest.ChunkReference] = []
        var placements: [(chunk: HashID, servers: [NodeID])] = []
        var deduplicated = 0
        for (i, result) in results.enumerated() {
            switch result {
            case .success(let receipt):
                references.append(.init(contentHash: receipt.contentHash, length: lengths[i]))
                placements.append((receipt.contentHash, (receipt.storedOn + receipt.alreadyStored).sorted()))
                if !receipt.transferred { deduplicated += 1 }
            case .failure(let error):
                throw .put(error)
            }
        }
        let manifest = VersionManifest(bucket: bucket, key: key, size: size, chunks: references)
        let version = WallClock.now().rawValue
        let manifestReceipt: PutReceipt
        do {
            manifestReceipt = try putChunk(
                Payload(copying: manifest.encoded()), name: manifest.name(version: version), replicas: replicas,
                consensus: consensus)
        } catch {
            throw .put(error)
        }
        return ObjectPutReport(
            bucket: bucket, key: key, size: size, version: version, placements: placements, deduplicated: deduplicated,
            manifestServers: (manifestReceipt.storedOn + manifestReceipt.alreadyStored).sorted(),
            seconds: Double((WallClock.now() - start).nanoseconds) / 1e9,
            bytesSent: transportCounters.bytesSent - before)
    }

    /// Fetches the newest version manifest of bucket/key.
    public func manifest(bucket: String, key: String, consensus: ConsensusMode? = nil) throws(ObjectError) -> (VersionManifest, UInt64) {
        let target = GetTarget.named(
            bucket: ContentHash.ofName(bucket), name: ContentHash.ofName(key), versions: 0...UInt64.max)
        let receipt: GetReceipt
        do {
            receipt = try getChunk(target, consensus: consensus)
        } catch .notFound {
            throw .notFound(bucket: bucket, key: key)
        } catch {
            throw .get(error)
        }
        do {
            return (try VersionManifest(decoding: receipt.payload.bytes), receipt.name?.version ?? 0)
        } catch {
            throw .badManifest(error)
        }
    }

    /// Gets bucket/key into the file at `output` (written to a temporary file, fsynced, then
    /// renamed), verifying every chunk against its content hash.
    public func getObject(
        bucket: String, key: String, output: String, consensus: ConsensusMode? = nil, window: Int = 4,
        progress: (UInt64, UInt64) -> Void = { _, _ in }
    ) throws(ObjectError) -> ObjectGetReport {
        let start = WallClock.now()
        let (manifest, version) = try self.manifest(bucket: bucket, key: key, consensus: consensus)
        let tmp = output + ".part"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw .io("cannot create \(tmp): \(String(cString: strerror(errno)))") }
        var offsets: [UInt64] = []
        var at: UInt64 = 0
        for c in manifest.chunks {
            offsets.append(at)
            at += UInt64(c.length)
        }
        var volunteered = 0
        var written: UInt64 = 0
        let results: [Result<GetReceipt, GetError>]
        do {
            results = try getChunks(
                manifest.chunks.map(\.contentHash), consensus: consensus, window: window,
                each: { i, receipt throws(ObjectError) in
                    guard receipt.payload.count == Int(manifest.chunks[i].length) else {
                        throw .io("chunk \(i) has \(receipt.payload.count) bytes, manifest says \(manifest.chunks[i].length)")
                    }
                    try receipt.payload.withUnsafeBytes { (bytes) throws(ObjectError) in
                        var done = 0
                        while done < bytes.count {
                            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offsets[i]) + off_t(done))
                            guard n > 0 else { throw .io("write to \(tmp) failed") }
                            done += n
                        }
                    }
                    if !receipt.volunteers.isEmpty { volunteered += 1 }
                    written += UInt64(receipt.payload.count)
                    progress(written, manifest.size)
                })
        } catch let e as ObjectError {
            close(fd)
            unlink(tmp)
            throw e
        } catch {
            close(fd)
            unlink(tmp)
            throw .io("\(error)")
        }
        for r in results {
            if case .failure(let e) = r {
                close(fd)
                unlink(tmp)
                throw .get(e)
            }
        }
        guard fsync(fd) == 0, close(fd) == 0, rename(tmp, output) == 0 else {
            throw .io("cannot finish \(output): \(String(cString: strerror(errno)))")
        }
        return ObjectGetReport(
            size: manifest.size, chunks: manifest.chunks.count, version: version,
            seconds: Double((WallClock.now() - start).nanoseconds) / 1e9, volunteered: volunteered)
    }

    /// For every chunk of bucket/key (manifest first), the servers that hold a replica.
    public func locateObject(bucket: String, key: String) throws(ObjectError) -> [(chunk: HashID, servers: [NodeID])] {
        let (manifest, version) = try self.manifest(bucket: bucket, key: key)
        var out: [(chunk: HashID, servers: [NodeID])] = []
        let manifestHash = ContentHash.of(manifest.encoded())
        out.append((manifestHash, locate(manifestHash, row: manifest.name(version: version).name).holders))
        for c in manifest.chunks { out.append((c.contentHash, locate(c.contentHash).holders)) }
        return out
    }
}
