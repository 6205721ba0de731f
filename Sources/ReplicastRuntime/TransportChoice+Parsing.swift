extension TransportChoice {
    /// Parses a `--transport` value with its verbs options, which only verbs takes.
    public init(name: String, device: String?, gidIndex: Int?, sendLanes: Int? = nil) throws {
        if let sendLanes, sendLanes < 1 { throw ConfigurationError("--send-lanes must be at least 1 (got \(sendLanes))") }
        switch name {
        case "udp":
            guard device == nil, gidIndex == nil, sendLanes == nil else {
                throw ConfigurationError("--device, --gid-index and --send-lanes apply to --transport verbs, not udp")
            }
            self = .udp
        case "verbs": self = .verbs(device: device, gidIndex: gidIndex, sendLanes: sendLanes ?? 1)
        default: throw ConfigurationError("unknown transport '\(name)' (use udp or verbs)")
        }
    }
}
