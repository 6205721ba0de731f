import ArgumentParser
import Logging

/// `--log-level`, and the one-time setup of swift-log's handler (standard error) at that level.
public struct LogOptions: ParsableArguments {
    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    public var logLevel: String?

    public init() {}

    /// Sends every logger's output to standard error at the chosen level (`fallback` if none
    /// or an unknown one was given). Call once, before the first logger is made.
    public func bootstrap(fallback: Logger.Level) {
        let level = logLevel.flatMap(Logger.Level.init(rawValue:)) ?? fallback
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
