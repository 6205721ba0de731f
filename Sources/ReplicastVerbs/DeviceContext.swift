#if canImport(CIBVerbs)
import CIBVerbs
import SystemPackage
import CVerbsShim

/// An open verbs device (`ibv_open_device`), closed when the value is dropped.
///
/// Used to find a device with an active port and read its port attributes and GIDs. The
/// transport's own resources live on the device context that rdma_cm opens for its id.
public struct DeviceContext: ~Copyable {
    /// The context; valid while this value lives.
    public let raw: UnsafeMutablePointer<ibv_context>
    /// The device's name, e.g. `rxe0`.
    public let name: String

    /// Names of the verbs devices on this machine (empty when there is none, or no RDMA support).
    public static func deviceNames() -> [String] {
        var count: Int32 = 0
        guard let list = ibv_get_device_list(&count) else { return [] }
        defer { ibv_free_device_list(list) }
        return (0..<Int(count)).compactMap { i in
            list[i].flatMap { ibv_get_device_name($0) }.map { String(cString: $0) }
        }
    }

    /// Opens the device called `name`.
    public init(name: String) throws(VerbsError) {
        var count: Int32 = 0
        guard let list = ibv_get_device_list(&count) else { throw .last("ibv_get_device_list") }
        defer { ibv_free_device_list(list) }
        for i in 0..<Int(count) {
            guard let device = list[i], let cName = ibv_get_device_name(device),
                String(cString: cName) == name
            else { continue }
            guard let context = ibv_open_device(device) else { throw .last("ibv_open_device") }
            self.raw = context
            self.name = name
            return
        }
        throw VerbsError("ibv_open_device(\(name))", .operationNotSupportedByDevice)
    }

    deinit { ibv_close_device(raw) }

    /// The device attributes (`ibv_query_device`).
    public func attributes() throws(VerbsError) -> ibv_device_attr {
        var attr = ibv_device_attr()
        let rc = ibv_query_device(raw, &attr)
        guard rc == 0 else { throw .returned("ibv_query_device", rc) }
        return attr
    }

    /// The attributes of port `port` (1-based).
    public func port(_ port: UInt8) throws(VerbsError) -> PortAttributes {
        try PortAttributes(context: raw, port: port)
    }

    /// The GID at `index` of `port`'s table.
    public func gid(port: UInt8, index: Int32) throws(VerbsError) -> GID {
        try GID(context: raw, port: port, index: index)
    }
}

/// What the transport needs of a port's attributes (`ibv_query_port`).
public struct PortAttributes: Sendable {
    public var isActive: Bool
    /// The active path MTU in bytes (256 to 4096).
    public var activeMTU: Int
    public var gidTableLength: Int32
    public var isEthernet: Bool
    /// `active_speed` and `active_width`, as the device reports them (`PortAttributes.linkBitsPerSecond`).
    public var activeSpeed: UInt8 = 0
    public var activeWidth: UInt8 = 0

    /// Reads port `port` of an open context.
    public init(context: UnsafeMutablePointer<ibv_context>, port: UInt8) throws(VerbsError) {
        var attr = ibv_port_attr()
        let rc = cvs_query_port(context, port, &attr)
        guard rc == 0 else { throw .returned("ibv_query_port", rc) }
        isActive = attr.state == IBV_PORT_ACTIVE
        activeMTU = 128 << Int(attr.active_mtu.rawValue)
        gidTableLength = attr.gid_tbl_len
        isEthernet = attr.link_layer == UInt8(IBV_LINK_LAYER_ETHERNET)
        activeSpeed = attr.active_speed
        activeWidth = attr.active_width
    }
}

extension GID {
    /// Reads one entry of a port's GID table (`ibv_query_gid`).
    public init(context: UnsafeMutablePointer<ibv_context>, port: UInt8, index: Int32) throws(VerbsError) {
        var gid = ibv_gid()
        guard ibv_query_gid(context, port, index, &gid) == 0 else { throw .last("ibv_query_gid") }
        self = withUnsafeBytes(of: &gid.raw) { GID(bytes: $0.baseAddress!) }
    }

    /// As the C union.
    var cValue: ibv_gid {
        var gid = ibv_gid()
        withUnsafeMutableBytes(of: &gid.raw) { store(to: $0.baseAddress!) }
        return gid
    }
}
#endif
