import Dispatch
import ReplicastCore
import ReplicastStore
import ReplicastWire
import Synchronization
import Testing

@Suite struct ConcurrencyTests {
    /// Threads storing distinct chunks and the same shared chunk, reading, and evicting, at
    /// once: the index ends up exactly matching what was stored, on disk too.
    @Test func concurrentPutsGetsAndEvictionsStayConsistent() throws {
        let dir = TemporaryDirectory()
        let store = try ChunkStore(directory: dir.storePath)
        let threads = 4
        let perThread = 12
        let shared = chunk(3000, seed: 999)
        let own = (0..<threads).map { t in (0..<perThread).map { chunk(1000 + t * 10 + $0, seed: UInt64(t * 100 + $0)) } }
        let failures = FailureLog()

        DispatchQueue.concurrentPerform(iterations: threads) { t in
            do {
                for (i, (payload, hash)) in own[t].enumerated() {
                    try store.put(payload, hash: hash, as: i % 2 == 0 ? .designated : .volunteer)
                    try store.put(shared.0, hash: shared.1)
                    if try store.get(hash) != payload { failures.add("thread \(t) read back wrong bytes") }
                    if try store.get(shared.1) != shared.0 { failures.add("shared chunk read back wrong") }
                }
                try store.evictVolunteers(toFree: 1)
            } catch {
                failures.add("thread \(t): \(error)")
            }
        }
        #expect(failures.messages.isEmpty)

        let held = Set(store.allChunks().map(\.hash))
        #expect(held.contains(shared.1))
        for (i, (_, hash)) in own.joined().enumerated() where (i % perThread) % 2 == 0 {
            #expect(held.contains(hash))
        }
        let expectedBytes = store.allChunks().reduce(0) { $0 + $1.length }
        #expect(store.usedBytes == expectedBytes)
        #expect(Set(dir.files(in: "chunks")) == Set(store.allChunks().map { $0.role == .designated ? $0.hash.hex : $0.hash.hex + ".volunteer" }))
    }
}

/// Collects messages from several threads.
final class FailureLog: Sendable {
    private let stored = Mutex<[String]>([])
    func add(_ message: String) { stored.withLock { $0.append(message) } }
    var messages: [String] { stored.withLock { $0 } }
}
