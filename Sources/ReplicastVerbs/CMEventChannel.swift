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

    /// The channel's descriptor: readable while events are waiting.
    public var fileDescriptor: Int32 { raw.pointee.fd }
}

/// One rdma_cm event, acknowledged (`rdma_ack_cm_event`) when the value is dropped.
public struct CMEvent: ~Copyable {
    let raw: UnsafeMutablePointer<rdma_cm_event>

    /// The next event waiting on `channel`, nil if none is (the channel is non-blocking).
    /// `channel` is a `CMEventChannel`'s, read from a thread of its own while it lives.
    init?(next channel: UnsafeMutablePointer<rdma_event_channel>) throws(VerbsError) {
        while true {
            var event: UnsafeMutablePointer<rdma_cm_event>? = nil
            if rdma_get_cm_event(channel, &event) == 0, let event {
                raw = event
                return
            }
            let error = Errno.last
            if error == .interrupted { continue }
            if error == .resourceTemporarilyUnavailable { return nil }
            throw VerbsError("rdma_get_cm_event", error)
        }
    }

    deinit { rdma_ack_cm_event(raw) }

    /// What happened.
    public var kind: rdma_cm_event_type { raw.pointee.event }
    /// The event's status (a negative errno for errors).
    public var status: Int32 { raw.pointee.status }
    /// The UD parameters of a multicast join: address handle attributes, QPN and Q_Key.
    public var udParameters: rdma_ud_param { raw.pointee.param.ud }
    /// For a multicast event, the context its join was posted with: the group's IPv4
    /// address (host order), as `CMId.joinMulticast` passes it.
    public var multicastGroup: UInt32 {
        UInt32(truncatingIfNeeded: UInt(bitPattern: raw.pointee.param.ud.private_data))
    }
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
