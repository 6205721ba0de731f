import ReplicastWire
import SystemPackage

/// Why a chunk store operation failed.
public enum StoreError: Error, CustomStringConvertible {
    /// The payload offered to `put` does not hash to the Content Hash ID it was offered under;
    /// nothing was written.
    case hashMismatch(expected: HashID, actual: HashID)
    /// Storing `needed` more bytes would exceed the quota or the filesystem's free space;
    /// nothing already stored was lost.
    case full(needed: Int, available: Int)
    /// The store holds no chunk with this Content Hash ID.
    case notFound(HashID)
    /// The stored bytes no longer hash to their Content Hash ID (or are shorter than recorded);
    /// the bad copy was dropped from the store.
    case corrupt(HashID)
    /// A different chunk is already stored under this name and version.
    case nameConflict(ChunkName, existing: HashID)
    /// The caller-supplied allocator failed.
    case allocationFailed(needed: Int, underlying: any Error)
    /// The caller-supplied buffer cannot hold the chunk.
    case bufferTooSmall(needed: Int, provided: Int)
    /// Another open store (in this or another process) uses the directory.
    case locked(path: String)
    /// A system call failed.
    case io(operation: String, Errno)

    /// One line, suitable for a command-line error message.
    public var description: String {
        switch self {
        case .hashMismatch(let expected, let actual):
            "payload hashes to \(actual.hex), not the expected \(expected.hex)"
        case .full(let needed, let available):
            "store full: \(needed) bytes needed, \(available) available"
        case .notFound(let hash):
            "no chunk \(hash.hex)"
        case .corrupt(let hash):
            "chunk \(hash.hex) is corrupt on disk (dropped)"
        case .nameConflict(let name, let existing):
            "version \(name.version) of name \(name.name.hex) is already chunk \(existing.hex)"
        case .allocationFailed(let needed, let underlying):
            "could not allocate \(needed) bytes: \(underlying)"
        case .bufferTooSmall(let needed, let provided):
            "buffer of \(provided) bytes cannot hold a \(needed)-byte chunk"
        case .locked(let path):
            "store directory \(path) is in use by another store"
        case .io(let operation, let errno):
            "\(operation): \(errno)"
        }
    }
}
