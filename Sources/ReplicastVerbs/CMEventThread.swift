#if canImport(CIBVerbs)
import CIBVerbs
import CVerbsShim
import SystemPackage
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What an RDMA_CM_EVENT_MULTICAST_JOIN carries, copied out before the event is acknowledged.
struct MulticastJoin: Sendable {
    /// Address handle attributes for sends to the group.
    var addressAttributes: ibv_ah_attr
    var qpn: UInt32
    var qkey: UInt32
}

/// The thread that handles a transport's rdma_cm control events, so they are seen when
/// they come and not only while a join waits.
///
/// It sleeps in poll(2) on the event channel and a stop eventfd, takes each waiting event
/// (`rdma_get_cm_event`), copies out what it needs, acknowledges it, and reports to a
/// `CMEventTable` (its link to the transport, with the `onTransportFailure` call):
/// - RDMA_CM_EVENT_MULTICAST_JOIN and _ERROR complete the pending join of the group named by
///   the event's context (`CMEvent.multicastGroup`); an error for a group already joined
///   marks it dropped;
/// - RDMA_CM_EVENT_DEVICE_REMOVAL and _ADDR_CHANGE record a failure of the whole transport,
///   and call `onTransportFailure` (which wakes a `receive` asleep on the completion channel,
///   so that its owner learns of it at once);
/// - other events are acknowledged and ignored.
///
/// Dropping the value stops the thread and joins it; the event channel (and the id on it)
/// must outlive it.
struct CMEventThread: ~Copyable {
    private let thread: pthread_t
    private let stopFD: Int32

    /// Starts the thread on `channel`, reporting to `table`.
    init(
        channel: borrowing CMEventChannel, reportingTo table: CMEventTable<MulticastJoin>,
        onTransportFailure: @escaping @Sendable () -> Void
    ) throws(VerbsError) {
        let stopFD = cvs_eventfd()
        guard stopFD >= 0 else { throw .last("eventfd") }
        let loop = Loop(channel: channel.raw, stopFD: stopFD, table: table, onTransportFailure: onTransportFailure)
        do {
            self.thread = try startThread { loop.run() }
        } catch {
            Glibc.close(stopFD)
            throw error
        }
        self.stopFD = stopFD
    }

    deinit {
        var one: UInt64 = 1
        _ = Glibc.write(stopFD, &one, 8)
        pthread_join(thread, nil)
        Glibc.close(stopFD)
    }

    /// The thread's state and work.
    private final class Loop {
        let channel: UnsafeMutablePointer<rdma_event_channel>
        let stopFD: Int32
        let table: CMEventTable<MulticastJoin>
        let onTransportFailure: @Sendable () -> Void

        init(
            channel: UnsafeMutablePointer<rdma_event_channel>, stopFD: Int32, table: CMEventTable<MulticastJoin>,
            onTransportFailure: @escaping @Sendable () -> Void
        ) {
            self.channel = channel
            self.stopFD = stopFD
            self.table = table
            self.onTransportFailure = onTransportFailure
        }

        /// Records a failure of the whole transport and tells the transport.
        func transportFailed(_ failure: CMEventFailure) {
            table.transportFailed(failure)
            onTransportFailure()
        }

        /// Handles events until the stop eventfd is written.
        func run() {
            var fds = (
                pollfd(fd: channel.pointee.fd, events: Int16(POLLIN), revents: 0),
                pollfd(fd: stopFD, events: Int16(POLLIN), revents: 0)
            )
            while true {
                // A channel that fails to read is given up: from then on only the stop counts.
                if fds.0.events != 0, !handleWaitingEvents() { fds.0.events = 0 }
                fds.0.revents = 0
                fds.1.revents = 0
                let ready = withUnsafeMutablePointer(to: &fds) {
                    $0.withMemoryRebound(to: pollfd.self, capacity: 2) { poll($0, 2, -1) }
                }
                if ready < 0, Errno.last != .interrupted {
                    transportFailed(CMEventFailure(
                        reason: "rdma_cm events can no longer be read", event: "poll: \(Errno.last)", status: 0))
                    fds.0.events = 0
                    usleep(10_000)  // poll(2) failing on two valid descriptors: do not spin
                }
                if fds.1.revents != 0 { return }
            }
        }

        /// Takes, acknowledges and reports every waiting event; false if the channel failed.
        private func handleWaitingEvents() -> Bool {
            while true {
                let next: CMEvent?
                do {
                    next = try CMEvent(next: channel)
                } catch {
                    transportFailed(CMEventFailure(
                        reason: "rdma_cm events can no longer be read", event: "\(error)", status: 0))
                    return false
                }
                switch consume next {
                case .none:
                    return true
                case .some(let event):
                    let report = Report(event)
                    _ = consume event  // acknowledged before anyone acts on it
                    report.deliver(to: self)
                }
            }
        }
    }

    /// What one event means to the transport, copied out of it.
    private enum Report {
        case joined(group: UInt32, MulticastJoin)
        case multicastFailed(group: UInt32, CMEventFailure)
        case transportFailed(CMEventFailure)
        case ignored

        init(_ event: borrowing CMEvent) {
            switch event.kind {
            case RDMA_CM_EVENT_MULTICAST_JOIN:
                let ud = event.udParameters
                self = .joined(
                    group: event.multicastGroup,
                    MulticastJoin(addressAttributes: ud.ah_attr, qpn: ud.qp_num, qkey: ud.qkey))
            case RDMA_CM_EVENT_MULTICAST_ERROR:
                self = .multicastFailed(
                    group: event.multicastGroup,
                    CMEventFailure(reason: "multicast join failed", event: event.kindName, status: event.status))
            case RDMA_CM_EVENT_DEVICE_REMOVAL:
                self = .transportFailed(
                    CMEventFailure(reason: "the RDMA device was removed", event: event.kindName, status: event.status))
            case RDMA_CM_EVENT_ADDR_CHANGE:
                self = .transportFailed(
                    CMEventFailure(reason: "the local address changed", event: event.kindName, status: event.status))
            default:
                self = .ignored
            }
        }

        func deliver(to loop: Loop) {
            switch self {
            case .joined(let group, let join): loop.table.joined(group, join)
            case .multicastFailed(let group, let failure): loop.table.failed(group, failure)
            case .transportFailed(let failure): loop.transportFailed(failure)
            case .ignored: break
            }
        }
    }
}
#endif
