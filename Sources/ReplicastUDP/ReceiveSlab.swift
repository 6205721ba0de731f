import CReplicastSystem
import Glibc
import ReplicastTransport

/// The preallocated receive side of a `recvmmsg` call: one slab of fixed-size slots, and the
/// message headers, iovecs, source addresses and control buffers that point into it.
/// Datagrams are handed to the receiver as views of their slot, valid until the next call.
final class ReceiveSlab {
    /// Slots (messages) per call.
    let capacity: Int
    /// Bytes per slot.
    let slotSize: Int
    /// The message headers for `rc_recvmmsg`; `prepare` resets them before each call.
    let messages: UnsafeMutablePointer<rc_mmsghdr>
    private let slab: UnsafeMutableRawPointer
    private let iovecs: UnsafeMutablePointer<iovec>
    private let addresses: UnsafeMutablePointer<sockaddr_in>
    private let controls: UnsafeMutableRawPointer

    /// A slab of `capacity` slots of `slotSize` bytes.
    init(capacity: Int, slotSize: Int) {
        self.capacity = capacity
        self.slotSize = slotSize
        slab = .allocate(byteCount: capacity * slotSize, alignment: 64)
        messages = .allocate(capacity: capacity)
        messages.initialize(repeating: rc_mmsghdr(), count: capacity)
        iovecs = .allocate(capacity: capacity)
        addresses = .allocate(capacity: capacity)
        addresses.initialize(repeating: sockaddr_in(), count: capacity)
        controls = .allocate(byteCount: capacity * Int(RC_UDP_CMSG_SPACE), alignment: 16)
        for i in 0..<capacity {
            iovecs[i] = iovec(iov_base: slab + i * slotSize, iov_len: slotSize)
            messages[i].msg_hdr.msg_name = UnsafeMutableRawPointer(addresses + i)
            messages[i].msg_hdr.msg_iov = iovecs + i
            messages[i].msg_hdr.msg_iovlen = 1
        }
    }

    deinit {
        slab.deallocate()
        messages.deallocate()
        iovecs.deallocate()
        addresses.deallocate()
        controls.deallocate()
    }

    /// Resets the fields the kernel overwrites, for the next `rc_recvmmsg` call.
    /// With `control`, each message gets a control buffer (for UDP_GRO segment sizes).
    func prepare(control: Bool) {
        for i in 0..<capacity {
            messages[i].msg_len = 0
            messages[i].msg_hdr.msg_namelen = socklen_t(MemoryLayout<sockaddr_in>.size)
            messages[i].msg_hdr.msg_flags = 0
            if control {
                messages[i].msg_hdr.msg_control = controls + i * Int(RC_UDP_CMSG_SPACE)
                messages[i].msg_hdr.msg_controllen = Int(RC_UDP_CMSG_SPACE)
            } else {
                messages[i].msg_hdr.msg_control = nil
                messages[i].msg_hdr.msg_controllen = 0
            }
        }
    }

    /// The bytes message `i` received.
    func bytes(_ i: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: slab + i * slotSize, count: Int(messages[i].msg_len))
    }

    /// Whether message `i` was longer than its slot (and cut short).
    func isTruncated(_ i: Int) -> Bool { messages[i].msg_hdr.msg_flags & Int32(RC_MSG_TRUNC) != 0 }

    /// Who sent message `i`.
    func source(_ i: Int) -> Endpoint { addresses[i].endpoint }

    /// The UDP GRO segment size of message `i`, or 0 if it holds a single datagram.
    func segmentSize(_ i: Int) -> Int {
        withUnsafePointer(to: &messages[i].msg_hdr) { Int(rc_udp_gro_segment_size($0)) }
    }
}
