import ReplicastTransport
import ReplicastUDP
import ReplicastVerbs
import ReplicastWire

/// Which transport a node or client uses.
public enum TransportChoice: Sendable, Equatable, CustomStringConvertible {
    /// The UDP fallback (default).
    case udp
    /// InfiniBand / RoCE UD queue pairs; `device` nil picks the first active device.
    /// `sendLanes` queue pairs, each posting from its own thread, share large sends
    /// (`VerbsConfiguration.sendLanes`).
    case verbs(device: String?, gidIndex: Int?, sendLanes: Int = 1)

    public var description: String {
        switch self {
        case .udp: return "udp"
        case .verbs(let d, _, let lanes): return "verbs(\(d ?? "auto")\(lanes > 1 ? ", \(lanes) send lanes" : ""))"
        }
    }

    /// Opens the transport for a participant on `interface` (default: the cluster's) whose
    /// unicast port is `unicastPort` (0: any).
    public func open(cluster: ClusterConfiguration, interface: String? = nil, unicastPort: UInt16) throws -> any DatagramTransport {
        switch self {
        case .udp:
            var c = UDPTransport.Configuration(multicastPort: cluster.table.port)
            c.interface = interface ?? cluster.interface
            c.unicastPort = unicastPort
            c.multicastTTL = cluster.multicastTTL
            c.maxDatagramSize = cluster.maxDatagramSize
            return try UDPTransport(c)
        case .verbs(let device, let gidIndex, let sendLanes):
            var c = VerbsConfiguration(deviceName: device)
            c.gidIndex = gidIndex.map { Int32($0) }
            c.sendLanes = sendLanes
            return try VerbsTransport(configuration: c)
        }
    }
}
