import CReplicastSystem
import Glibc
import ReplicastTransport
import ReplicastWire

/// The preallocated arrays one `sendmmsg` call uses: message headers, iovecs (the head and
/// the body of each datagram), destination addresses and UDP_SEGMENT control buffers.
///
/// Loading a batch points them into the batch's head arena and its bodies' buffers: nothing
/// is copied or allocated per datagram.
final class SendVector {
    /// What one loaded message carries, for the counters.
    struct MessageInfo {
        /// Datagrams in the message (more than one when segmented by UDP GSO).
        var datagrams = 0
        /// Bytes of those datagrams.
        var bytes = 0
        /// Whether the message goes to a multicast group.
        var multicast = false
        /// Whether the message carries a UDP_SEGMENT control message.
        var segmented: Bool { datagrams > 1 }
    }

    /// Largest number of segments in one UDP GSO send (the kernel's UDP_MAX_SEGMENTS).
    static let maxSegments = 64
    /// Largest UDP payload of one (GSO) send: 65535 minus IPv4 and UDP headers.
    static let maxSegmentedBytes = 65507

    /// Datagrams per call.
    let capacity: Int
    /// The message headers, ready for `rc_sendmmsg` after `load`.
    let messages: UnsafeMutablePointer<rc_mmsghdr>
    /// Per message: what it carries.
    let info: UnsafeMutablePointer<MessageInfo>
    private let iovecs: UnsafeMutablePointer<iovec>
    private let addresses: UnsafeMutablePointer<sockaddr_in>
    private let controls: UnsafeMutableRawPointer

    /// Arrays for up to `capacity` datagrams per call.
    init(capacity: Int) {
        self.capacity = capacity
        messages = .allocate(capacity: capacity)
        messages.initialize(repeating: rc_mmsghdr(), count: capacity)
        info = .allocate(capacity: capacity)
        info.initialize(repeating: MessageInfo(), count: capacity)
        iovecs = .allocate(capacity: 2 * capacity)
        iovecs.initialize(repeating: iovec(), count: 2 * capacity)
        addresses = .allocate(capacity: capacity)
        addresses.initialize(repeating: sockaddr_in(), count: capacity)
        controls = .allocate(byteCount: capacity * Int(RC_UDP_CMSG_SPACE), alignment: 16)
    }

    deinit {
        messages.deallocate()
        info.deallocate()
        iovecs.deallocate()
        addresses.deallocate()
        controls.deallocate()
    }

    /// Loads datagrams of `batch` from index `start` on, up to `capacity` of them, into
    /// message headers, and returns how many messages were filled.
    ///
    /// With `segmenting`, a run of consecutive datagrams to the same destination with the
    /// same size (the last of the run may be shorter) becomes one message with a
    /// UDP_SEGMENT control message, which the kernel splits into datagrams again.
    /// Every destination must have a socket address (the caller validates the batch).
    func load(_ batch: borrowing SendBatch, from start: Int, segmenting: Bool) -> Int {
        let entries = batch.entries
        let heads = UnsafeRawPointer(batch.heads.baseAddress!)
        var messageCount = 0
        var datagramCount = 0
        var iovecCount = 0
        var index = start

        /// Appends the iovecs of entry `entry` and returns its size.
        func appendIovecs(_ entry: SendBatch.Entry) -> Int {
            if entry.headLength > 0 {
                iovecs[iovecCount] = iovec(
                    iov_base: UnsafeMutableRawPointer(mutating: heads + entry.headOffset), iov_len: entry.headLength)
                iovecCount += 1
            }
            if let buffer = entry.body.buffer, !entry.body.isEmpty {
                iovecs[iovecCount] = iovec(
                    iov_base: buffer.base + entry.body.range.lowerBound, iov_len: entry.body.count)
                iovecCount += 1
            }
            return entry.headLength + entry.body.count
        }

        while index < entries.count, datagramCount < capacity {
            let first = entries[index]
            let address = first.destination.socketAddress!
            let firstIovec = iovecCount
            let size = appendIovecs(first)
            var message = MessageInfo(datagrams: 1, bytes: size, multicast: IPv4.isMulticast(address.ipv4))
            index += 1
            datagramCount += 1

            if segmenting, size > 0 {
                while index < entries.count, datagramCount < capacity, message.datagrams < Self.maxSegments {
                    let next = entries[index]
                    let nextSize = next.headLength + next.body.count
                    guard nextSize > 0, nextSize <= size, message.bytes + nextSize <= Self.maxSegmentedBytes,
                        let nextAddress = next.destination.socketAddress,
                        nextAddress.sin_addr.s_addr == address.sin_addr.s_addr,
                        nextAddress.sin_port == address.sin_port
                    else { break }
                    _ = appendIovecs(next)
                    message.datagrams += 1
                    message.bytes += nextSize
                    index += 1
                    datagramCount += 1
                    if nextSize < size { break }
                }
            }

            addresses[messageCount] = address
            withUnsafeMutablePointer(to: &messages[messageCount].msg_hdr) { header in
                header.pointee.msg_name = UnsafeMutableRawPointer(addresses + messageCount)
                header.pointee.msg_namelen = socklen_t(MemoryLayout<sockaddr_in>.size)
                header.pointee.msg_iov = iovecs + firstIovec
                header.pointee.msg_iovlen = iovecCount - firstIovec
                header.pointee.msg_flags = 0
                if message.segmented {
                    rc_set_udp_segment(header, controls + messageCount * Int(RC_UDP_CMSG_SPACE), UInt16(size))
                } else {
                    rc_clear_control(header)
                }
            }
            messages[messageCount].msg_len = 0
            info[messageCount] = message
            messageCount += 1
        }
        return messageCount
    }
}
