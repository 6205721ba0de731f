#if canImport(CIBVerbs)
import CIBVerbs
import SystemPackage
import CVerbsShim
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An rdma_cm event channel (`rdma_create_event_channel`) with a non-blocking descriptor,
/// destroyed when the value is dropped. Ids made on it report their events here.
public struct CMEventChannel: ~Copyable {
    public let raw: UnsafeMutablePointer<rdma_event_channel>

    public init() throws(VerbsError) {
        guard let channel = rdma_create_event_channel() else { throw .last("rdma_create_event_channel") }
        let rc = cvs_set_nonblocking(channel.pointee.fd)
        guard rc == 0 else {
            rdma_destroy_event_channel(channel)
            throw .returned("fcntl(O_NONBLOCK)", rc)
        }
        raw = channel
    }

    deinit { rdma_destroy_event_channel(raw) }

    /// The next event, waiting up to `timeout`; nil if none came in time.
    public func nextEvent(timeout: Duration) throws(VerbsError) -> CMEvent? {
        let deadline = ContinuousClock.now + timeout
        while true {
            var event: UnsafeMutablePointer<rdma_cm_event>? = nil
            if rdma_get_cm_event(raw, &event) == 0, let event { return CMEvent(raw: event) }
            let error = Errno.last
            guard error == .resourceTemporarilyUnavailable || error == .interrupted else {
                throw VerbsError("rdma_get_cm_event", error)
            }
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { return nil }
            var fds = pollfd(fd: raw.pointee.fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&fds, 1, Int32(clamping: left.roundedUpMilliseconds))
        }
    }
}

/// One rdma_cm event, acknowledged (`rdma_ack_cm_event`) when the value is dropped.
public struct CMEvent: ~Copyable {
    let raw: UnsafeMutablePointer<rdma_cm_event>

    deinit { rdma_ack_cm_event(raw) }

    /// What happened.
    public var kind: rdma_cm_event_type { raw.pointee.event }
    /// The event's status (a negative errno for errors).
    public var status: Int32 { raw.pointee.status }
    /// The UD parameters of a multicast join: address handle attributes, QPN and Q_Key.
    public var udParameters: rdma_ud_param { raw.pointee.param.ud }
    /// The name librdmacm gives the event kind.
    public var kindName: String { String(cString: rdma_event_str(raw.pointee.event)) }
}

extension Duration {
    /// Whole milliseconds, rounded up (poll(2) timeouts), never negative.
    var roundedUpMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0, attoseconds >= 0 || seconds > 0 else { return 0 }
        let ms = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return max(ms, 0)
    }
}
#endif
