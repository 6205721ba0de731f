#if canImport(CIBVerbs)
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Starts a POSIX thread that runs `body` once; the caller owns the thread and joins it.
/// The verbs transport's own threads (the rdma_cm event thread, the send lanes' posters)
/// start this way, so that each can be joined at teardown.
func startThread(_ body: @escaping () -> Void) throws(VerbsError) -> pthread_t {
    let entry = Unmanaged.passRetained(ThreadEntry(body)).toOpaque()
    var thread = pthread_t()
    let rc = pthread_create(&thread, nil, { entry in
        Unmanaged<ThreadEntry>.fromOpaque(entry!).takeRetainedValue().body()
        return nil
    }, entry)
    guard rc == 0 else {
        Unmanaged<ThreadEntry>.fromOpaque(entry).release()
        throw .returned("pthread_create", rc)
    }
    return thread
}

/// What a thread from `startThread` runs, handed to it through `pthread_create`'s argument.
private final class ThreadEntry {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}
#endif
