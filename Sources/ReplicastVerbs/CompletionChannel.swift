#if canImport(CIBVerbs)
import CIBVerbs
import CVerbsShim

/// A completion event channel (`ibv_create_comp_channel`) with a non-blocking file
/// descriptor, destroyed when the value is dropped. A completion queue armed with
/// `ibv_req_notify_cq` makes the descriptor readable on its next completion.
public struct CompletionChannel: ~Copyable {
    public let raw: UnsafeMutablePointer<ibv_comp_channel>

    public init(context: UnsafeMutablePointer<ibv_context>) throws(VerbsError) {
        guard let channel = ibv_create_comp_channel(context) else { throw .last("ibv_create_comp_channel") }
        let rc = cvs_set_nonblocking(channel.pointee.fd)
        guard rc == 0 else {
            ibv_destroy_comp_channel(channel)
            throw .returned("fcntl(O_NONBLOCK)", rc)
        }
        raw = channel
    }

    deinit { ibv_destroy_comp_channel(raw) }

    /// The descriptor to poll for readability.
    public var fileDescriptor: Int32 { raw.pointee.fd }

    /// Consumes and acknowledges one pending event; false if there was none. Never blocks.
    /// The queue must be re-armed afterwards to get the next event.
    @discardableResult
    public func takeEvent() -> Bool {
        var cq: UnsafeMutablePointer<ibv_cq>? = nil
        var context: UnsafeMutableRawPointer? = nil
        guard ibv_get_cq_event(raw, &cq, &context) == 0, let cq else { return false }
        ibv_ack_cq_events(cq, 1)
        return true
    }
}
#endif
