/// The data rate of a verbs port from its `active_speed` and `active_width`
/// (`ibv_query_port`), bits per second after line encoding (8b/10b up to QDR, 64b/66b
/// from FDR10): what a node's link allocations are split from.
public enum PortLinkRate {
    /// Data rate of one lane, bits per second, by `active_speed` code; nil for a code this
    /// table does not know.
    public static func laneBitsPerSecond(speed: UInt8) -> UInt64? {
        switch speed {
        case 1: return 2_000_000_000  // SDR 2.5 Gbaud, 8b/10b
        case 2: return 4_000_000_000  // DDR
        case 4: return 8_000_000_000  // QDR (RoCE devices report 10 Gbit/s Ethernet as QDR 1x)
        case 8: return 10_000_000_000  // FDR10, 64b/66b
        case 16: return 13_636_363_636  // FDR 14.0625 Gbaud
        case 32: return 25_000_000_000  // EDR
        case 64: return 50_000_000_000  // HDR
        case 128: return 100_000_000_000  // NDR
        default: return nil
        }
    }

    /// Lanes by `active_width` code; nil for an unknown code.
    public static func lanes(width: UInt8) -> UInt64? {
        switch width {
        case 1: return 1
        case 2: return 4
        case 4: return 8
        case 8: return 12
        case 16: return 2
        default: return nil
        }
    }

    /// The port's data rate, or nil when either code is unknown.
    public static func bitsPerSecond(speed: UInt8, width: UInt8) -> UInt64? {
        guard let lane = laneBitsPerSecond(speed: speed), let n = lanes(width: width) else { return nil }
        return lane * n
    }
}

#if canImport(CIBVerbs)
extension VerbsTransport {
    /// The data rate of the port in use (`PortLinkRate`), or nil when it cannot be read.
    public var linkBitsPerSecond: UInt64? {
        guard let context = try? DeviceContext(name: deviceName), let port = try? context.port(portNumber) else { return nil }
        return PortLinkRate.bitsPerSecond(speed: port.activeSpeed, width: port.activeWidth)
    }
}
#else
extension VerbsTransport {
    public var linkBitsPerSecond: UInt64? { nil }
}
#endif
