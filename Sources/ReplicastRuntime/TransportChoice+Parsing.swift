extension TransportChoice {
    /// Parses a `--transport` value with its verbs options.
    public init(name: String, device: String?, gidIndex: Int?) throws {
        switch name {
        case "udp": self = .udp
        case "verbs": self = .verbs(device: device, gidIndex: gidIndex)
        default: throw ConfigurationError("unknown transport '\(name)' (use udp or verbs)")
        }
    }
}
