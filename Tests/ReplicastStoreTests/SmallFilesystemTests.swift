import Foundation
import ReplicastCore
import ReplicastStore
import ReplicastWire
import SystemPackage
import Testing

/// Runs only when `REPLICAST_SMALL_FS` names an empty directory on a small filesystem, e.g.
///
///     unshare -m sh -c 'mount -t tmpfs -o size=1m tmpfs /tmp/small &&
///       REPLICAST_SMALL_FS=/tmp/small swift test --filter SmallFilesystemTests'
@Suite(.enabled(if: ProcessInfo.processInfo.environment["REPLICAST_SMALL_FS"] != nil))
struct SmallFilesystemTests {
    @Test func filesystemFullIsTypedAndKeepsWhatIsStored() throws {
        let root = try #require(ProcessInfo.processInfo.environment["REPLICAST_SMALL_FS"])
        let store = try ChunkStore(directory: FilePath(root + "/store"))
        let initiallyFree = store.freeBytes
        #expect(initiallyFree > 0)
        #expect(initiallyFree <= 16 << 20, "REPLICAST_SMALL_FS should be a small filesystem")

        var stored: [(Payload, HashID)] = []
        var fullError: StoreError?
        for seed in 0..<UInt64(64) {
            let next = chunk(200_000, seed: 500 + seed)
            do {
                try store.put(next.0, hash: next.1)
                stored.append(next)
            } catch {
                fullError = error
                break
            }
        }
        guard case .full(let needed, let available) = fullError else {
            Issue.record("expected .full, got \(String(describing: fullError))")
            return
        }
        #expect(needed == 200_000)
        #expect(available < 200_000)
        #expect(!stored.isEmpty)
        for (payload, hash) in stored {
            #expect(try store.get(hash) == payload)
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: root + "/store/chunks")
        #expect(files.count == stored.count)
        #expect(!files.contains { $0.hasSuffix(".tmp") })
    }
}
