import ReplicastTransport

extension UDPTransport {
    /// How a UDP transport binds, joins and batches.
    public struct Configuration: Sendable, Equatable {
        /// The IPv4 address of the interface to bind unicast to, send multicast from and
        /// join groups on (`a.b.c.d`; not 0.0.0.0).
        public var interface: String = "127.0.0.1"
        /// The unicast port (0: an ephemeral port, see `UDPTransport.localEndpoint`).
        public var unicastPort: UInt16 = 0
        /// The port every multicast group of the cluster uses; shared by all nodes on a host.
        public var multicastPort: UInt16
        /// IP_MULTICAST_TTL: 0 keeps multicast on this host, 1 on the local link.
        public var multicastTTL: UInt8 = 0
        /// IP_MULTICAST_LOOP: deliver multicast to group members on this host, this one included.
        public var multicastLoop: Bool = true
        /// Largest datagram (UDP payload) sent or received; 8972 fits a 9000-byte MTU, 1472 a
        /// 1500-byte one.
        public var maxDatagramSize: Int = 8972
        /// Datagrams taken per `recvmmsg` call (slots of the receive slab).
        public var receiveBatchSize: Int = 64
        /// Datagrams given per `sendmmsg` call.
        public var sendBatchSize: Int = 64
        /// SO_RCVBUF / SO_SNDBUF requests, in bytes (forced past the system maximum when
        /// privileged).
        public var receiveBufferSize: Int = 8 << 20
        public var sendBufferSize: Int = 4 << 20
        /// Sends runs of equal-sized datagrams to one destination as one UDP GSO message
        /// (UDP_SEGMENT), where the kernel supports it; falls back to plain datagrams if the
        /// route refuses. On loopback it sends about 2.5 times as many 1472-byte datagrams
        /// per second as plain `sendmmsg`.
        public var segmentationOffload: Bool = true
        /// Receives coalesced datagrams (UDP_GRO), where the kernel supports it; the receive
        /// slots then grow to 64 KiB (address space: pages are touched only as datagrams
        /// fill them). With GSO senders on loopback it receives 2 to 4 times as many
        /// datagrams per second.
        public var receiveOffload: Bool = true

        /// A configuration with defaults for everything but the cluster's multicast port.
        public init(multicastPort: UInt16) {
            self.multicastPort = multicastPort
        }

        /// Checks the values; returns the interface address in host order.
        func validated() throws(TransportError) -> UInt32 {
            func invalid(_ reason: String) -> TransportError { TransportError("configure UDP transport", reason: reason) }
            guard let address = IPv4.parse(interface), address != 0, !IPv4.isMulticast(address) else {
                throw invalid("interface \(interface) is not a unicast IPv4 address")
            }
            guard multicastPort != 0 else { throw invalid("the multicast port must not be 0") }
            guard multicastPort != unicastPort else { throw invalid("the unicast and multicast ports must differ") }
            guard (1...SendVector.maxSegmentedBytes).contains(maxDatagramSize) else {
                throw invalid("maxDatagramSize \(maxDatagramSize) is not in 1...\(SendVector.maxSegmentedBytes)")
            }
            guard (1...1024).contains(receiveBatchSize), (1...1024).contains(sendBatchSize) else {
                throw invalid("batch sizes must be in 1...1024")
            }
            guard receiveBufferSize > 0, sendBufferSize > 0 else { throw invalid("buffer sizes must be positive") }
            return address
        }
    }
}
