import Foundation
import ReplicastCore
import ReplicastWire
import SystemPackage

/// A fresh directory under /tmp, removed with everything in it when released.
final class TemporaryDirectory {
    let path: String

    init() {
        var template = Array("/tmp/replicast-store-test-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = String(cString: made!)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The store's root, a directory below this one that the store must create itself.
    var storePath: FilePath { FilePath(path + "/store") }

    /// Names of the files in `sub` (relative to the store root), sorted.
    func files(in sub: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path + "/store/" + sub)) ?? []).sorted()
    }

    /// Full path of a file below the store root.
    func storeFile(_ relative: String) -> String {
        path + "/store/" + relative
    }
}

/// `count` pseudo-random bytes, different for each `seed`.
func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    return (0..<count).map { _ in
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return UInt8(truncatingIfNeeded: state)
    }
}

/// A payload of random bytes and its Content Hash ID.
func chunk(_ count: Int, seed: UInt64) -> (Payload, HashID) {
    let payload = Payload(copying: randomBytes(count, seed: seed))
    return (payload, ContentHash.of(payload))
}
