import ReplicastWire

/// The on-disk layout of a chunk store: which file names mean what.
///
/// ```
/// <root>/chunks/<hash hex>                 a designated chunk: exactly its payload bytes
/// <root>/chunks/<hash hex>.volunteer       a volunteer copy (made during a get), evictable
/// <root>/chunks/<hash hex>.<n>.tmp         a chunk being written; removed when the store opens
/// <root>/names/<bucket>.<name>.<version>.<hash>
///                                          an empty record: chunk <hash> is that version
/// ```
///
/// Hashes are 64 lower-case hex digits, the version 16. Everything a record says is in its
/// name, so creating it (then syncing the directory) is atomic: a record is either absent or
/// complete, never torn.
enum StoreLayout {
    /// Subdirectory holding chunk payloads.
    static let chunksDirectory = "chunks"
    /// Subdirectory holding name records.
    static let namesDirectory = "names"

    static let volunteerSuffix = ".volunteer"
    static let temporarySuffix = ".tmp"

    /// The final file name of a chunk with this role.
    static func chunkFile(_ hash: HashID, _ role: ChunkRole) -> String {
        switch role {
        case .designated: hash.hex
        case .volunteer: hash.hex + volunteerSuffix
        }
    }

    /// The name a writer uses while a chunk's bytes are not yet durable; `sequence` keeps
    /// concurrent writers of the same chunk apart.
    static func temporaryFile(_ hash: HashID, sequence: UInt64) -> String {
        "\(hash.hex).\(sequence)\(temporarySuffix)"
    }

    /// What a file found in the chunks directory is.
    enum ChunkEntry: Equatable {
        case chunk(HashID, ChunkRole)
        case temporary
        case unknown
    }

    /// Classifies a file name from the chunks directory.
    static func classifyChunkFile(_ name: String) -> ChunkEntry {
        if name.hasSuffix(temporarySuffix) { return .temporary }
        let role: ChunkRole = name.hasSuffix(volunteerSuffix) ? .volunteer : .designated
        let hex = role == .volunteer ? String(name.dropLast(volunteerSuffix.count)) : name
        guard let hash = canonicalHash(hex) else { return .unknown }
        return .chunk(hash, role)
    }

    /// The file name of the record saying `hash` is the chunk named `name`.
    static func nameRecord(_ name: ChunkName, _ hash: HashID) -> String {
        "\(name.bucket.hex).\(name.name.hex).\(hex16(name.version)).\(hash.hex)"
    }

    /// Parses a name record's file name; nil if it is not one.
    static func parseNameRecord(_ file: String) -> (ChunkName, HashID)? {
        let parts = file.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4,
            let bucket = canonicalHash(String(parts[0])),
            let name = canonicalHash(String(parts[1])),
            parts[2].utf8.count == 16, let version = UInt64(parts[2], radix: 16),
            hex16(version) == parts[2],
            let hash = canonicalHash(String(parts[3]))
        else { return nil }
        return (ChunkName(bucket: bucket, name: name, version: version), hash)
    }

    /// The hash spelled by `hex`, only if `hex` is exactly how the store writes it.
    private static func canonicalHash(_ hex: String) -> HashID? {
        guard let hash = HashID(hex: hex), hash.hex == hex else { return nil }
        return hash
    }

    private static func hex16(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
