import Foundation
import ReplicastCore
import ReplicastStore
import ReplicastWire
import Synchronization

/// Runs the core's store and load requests on a thread of its own, so that hashing and
/// fsync never stall the event loop, and hands completions back through a queue (waking
/// the loop's transport).
final class StoreWorker: @unchecked Sendable {
    enum Completion: Sendable {
        case stored(token: StoreToken, Result<Void, StoreFailure>)
        case loaded(token: LoadToken, Result<Payload, StoreFailure>)
    }

    private enum Job: Sendable {
        case store(StoreRequest)
        /// Read into `buffer`, allocated by the loop's thread (transports are not thread-safe).
        case load(LoadRequest, PayloadBuffer)
        case stop
    }

    let store: ChunkStore
    private let wake: @Sendable () -> Void
    private let jobs = Mutex<[Job]>([])
    private let completions = Mutex<[Completion]>([])
    private let signal = DispatchSemaphore(value: 0)
    private var thread: Thread?
    private let done = DispatchSemaphore(value: 0)

    init(store: ChunkStore, wake: @escaping @Sendable () -> Void) {
        self.store = store
        self.wake = wake
    }

    func start() {
        let t = Thread { [self] in run() }
        t.name = "replicast-store"
        thread = t
        t.start()
    }

    /// Finishes every queued job, then stops the thread.
    func stop() {
        guard thread != nil else { return }
        submit(.stop)
        done.wait()
        thread = nil
    }

    func submitStore(_ r: StoreRequest) { submit(.store(r)) }
    /// Reads a chunk into `buffer` (which must hold `r.length` bytes).
    func submitLoad(_ r: LoadRequest, into buffer: PayloadBuffer) { submit(.load(r, buffer)) }

    private func submit(_ job: Job) {
        jobs.withLock { $0.append(job) }
        signal.signal()
    }

    /// Completions since the last call.
    func drain() -> [Completion] {
        completions.withLock { c in
            defer { c.removeAll() }
            return c
        }
    }

    private func run() {
        while true {
            signal.wait()
            guard let job = jobs.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { continue }
            let completion: Completion
            switch job {
            case .stop:
                done.signal()
                return
            case .store(let r):
                do {
                    try store.put(r.payload, hash: r.contentHash, named: r.name, as: r.designated ? .designated : .volunteer)
                    completion = .stored(token: r.token, .success(()))
                } catch {
                    completion = .stored(token: r.token, .failure(Self.failure(error)))
                }
            case .load(let r, let buffer):
                do {
                    let payload = try store.get(r.contentHash, into: { _ in buffer })
                    completion = .loaded(token: r.token, .success(payload))
                } catch {
                    completion = .loaded(token: r.token, .failure(Self.failure(error)))
                }
            }
            completions.withLock { $0.append(completion) }
            wake()
        }
    }

    private static func failure(_ error: StoreError) -> StoreFailure {
        switch error {
        case .hashMismatch: return .hashMismatch
        case .full: return .full
        case .notFound: return .notFound
        case .corrupt: return .corrupt
        default: return .ioError
        }
    }
}
