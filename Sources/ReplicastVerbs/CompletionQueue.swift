#if canImport(CIBVerbs)
import CIBVerbs
import SystemPackage

/// A completion queue (`ibv_create_cq`), destroyed when the value is dropped. Its events
/// must all be acknowledged first (`CompletionChannel.takeEvent` does so as it reads).
public struct CompletionQueue: ~Copyable {
    public let raw: UnsafeMutablePointer<ibv_cq>

    /// A queue of at least `capacity` entries, reporting to `channel` when armed (or to none).
    public init(
        context: UnsafeMutablePointer<ibv_context>, capacity: Int,
        channel: UnsafeMutablePointer<ibv_comp_channel>?
    ) throws(VerbsError) {
        guard let cq = ibv_create_cq(context, Int32(capacity), nil, channel, 0) else {
            throw .last("ibv_create_cq")
        }
        raw = cq
    }

    deinit { ibv_destroy_cq(raw) }

    /// Polls up to `into.count` completions into `into`; returns how many.
    @inline(__always)
    public func poll(into wc: UnsafeMutableBufferPointer<ibv_wc>) throws(VerbsError) -> Int {
        let n = ibv_poll_cq(raw, Int32(wc.count), wc.baseAddress)
        guard n >= 0 else { throw VerbsError("ibv_poll_cq", .ioError) }
        return Int(n)
    }

    /// Arms the queue: its next completion raises an event on the channel.
    public func requestNotification() throws(VerbsError) {
        let rc = ibv_req_notify_cq(raw, 0)
        guard rc == 0 else { throw .returned("ibv_req_notify_cq", rc) }
    }
}
#endif
