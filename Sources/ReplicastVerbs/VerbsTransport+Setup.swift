#if canImport(CIBVerbs)
import CIBVerbs
import ReplicastTransport

/// The device, port and address a transport uses.
struct SelectedPort {
    var device: String
    var port: UInt8
    var gid: GID
    var gidIndex: Int32
    var ipv4: UInt32
    var mtu: Int
}

extension VerbsTransport {
    /// Finds the configured device (or the first with an active port), its port, a GID
    /// with an IPv4 address, and the path MTU.
    static func selectPort(_ configuration: VerbsConfiguration) throws(TransportError) -> SelectedPort {
        let available = DeviceContext.deviceNames()
        guard !available.isEmpty else {
            throw TransportError("open verbs device", reason: "no RDMA device found")
        }
        let candidates = configuration.deviceName.map { [$0] } ?? available
        var problems: [String] = []
        for name in candidates {
            do {
                if let selected = try probe(device: name, configuration) { return selected }
                problems.append("\(name): no active port with an IPv4 GID")
            } catch {
                problems.append("\(name): \(error)")
            }
        }
        throw TransportError(
            "open verbs device",
            reason: "no usable RDMA device (available: \(available.joined(separator: ", "))); "
                + problems.joined(separator: "; "))
    }

    /// The first active port of `name` that fits the configuration, or nil.
    private static func probe(device name: String, _ configuration: VerbsConfiguration) throws(VerbsError) -> SelectedPort? {
        let device = try DeviceContext(name: name)
        let portCount = UInt8(clamping: try device.attributes().phys_port_cnt)
        let ports = configuration.port.map { [$0] } ?? Array(stride(from: 1, through: portCount, by: 1))
        for port in ports {
            guard let attributes = try? device.port(port), attributes.isActive else { continue }
            if let index = configuration.gidIndex {
                let gid = try device.gid(port: port, index: index)
                guard let ip = configuration.localIPv4 ?? gid.ipv4 else { continue }
                return SelectedPort(device: name, port: port, gid: gid, gidIndex: index, ipv4: ip, mtu: attributes.activeMTU)
            }
            for index in 0..<min(attributes.gidTableLength, 256) {
                guard let gid = try? device.gid(port: port, index: index), let ip = gid.ipv4 else { continue }
                if let wanted = configuration.localIPv4, wanted != ip { continue }
                return SelectedPort(device: name, port: port, gid: gid, gidIndex: index, ipv4: ip, mtu: attributes.activeMTU)
            }
        }
        return nil
    }
}
#endif
