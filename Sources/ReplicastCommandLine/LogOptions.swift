import ArgumentParser
import Logging

/// A `--log-level` value: swift-log's levels by name. ArgumentParser rejects any other name
/// and lists these in `--help`.
public enum LogLevel: String, CaseIterable, ExpressibleByArgument, Sendable {
    case trace, debug, info, notice, warning, error, critical

    /// The swift-log level of the same name.
    public var level: Logger.Level {
        switch self {
        case .trace: return .trace
        case .debug: return .debug
        case .info: return .info
        case .notice: return .notice
        case .warning: return .warning
        case .error: return .error
        case .critical: return .critical
        }
    }
}

/// `--log-level`, and the one-time setup of swift-log's handler (standard error) at that level.
public struct LogOptions: ParsableArguments {
    @Option(name: .long, help: "Log level (default: info for replicast-node, warning for the client commands).")
    public var logLevel: LogLevel?

    public init() {}

    /// Sends every logger's output to standard error at the chosen level (`fallback` if none
    /// was given). Call once, before the first logger is made.
    public func bootstrap(fallback: Logger.Level) {
        let level = logLevel?.level ?? fallback
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
