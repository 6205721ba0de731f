import CReplicastSystem
import Glibc
import ReplicastTransport

/// An eventfd that `UDPTransport.wake()` signals to interrupt a `poll`. Owns the descriptor
/// for its whole life, so signalling from another thread never touches a reused descriptor.
struct WakeEvent: ~Copyable {
    /// The descriptor, polled for readability.
    let fd: Int32

    init() throws(TransportError) {
        let fd = rc_eventfd_open()
        guard fd >= 0 else { throw .system("eventfd", errno: errno) }
        self.fd = fd
    }

    deinit { _ = Glibc.close(fd) }

    /// Makes the descriptor readable. Safe from any thread.
    func signal() { _ = rc_eventfd_signal(fd) }

    /// Makes the descriptor unreadable again.
    func drain() { _ = rc_eventfd_drain(fd) }
}
