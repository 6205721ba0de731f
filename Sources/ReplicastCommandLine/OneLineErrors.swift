import ArgumentParser
import Glibc

extension ParsableCommand {
    /// Parses the command line and runs the command, like `main()`, except that an error is
    /// reported on one line of standard error, `NAME: error: REASON`, without the usage lines
    /// ArgumentParser adds. The exit status is ArgumentParser's: 64 for an invalid or missing
    /// value, the code of an `ExitCode` thrown by `run()` (which prints nothing more), 1 for
    /// another error. `--help` prints the help and exits 0 as usual.
    public static func mainReportingErrorsOnOneLine() -> Never {
        do {
            var command = try parseAsRoot()
            try command.run()
            Glibc.exit(0)
        } catch {
            let code = exitCode(for: error)
            if code.isSuccess { exit(withError: error) }
            // ArgumentParser lists more than a few allowed values one per line ("  - trace"):
            // those become "trace, debug, ...".
            var reason = ""
            var inList = false
            for line in message(for: error).split(whereSeparator: \.isNewline) {
                let text = line.drop(while: \.isWhitespace)
                guard !text.isEmpty else { continue }
                if text.hasPrefix("- ") {
                    reason += (inList ? ", " : " ") + text.dropFirst(2)
                    inList = true
                } else {
                    reason += (reason.isEmpty ? "" : " ") + text
                    inList = false
                }
            }
            if !reason.isEmpty {
                let name = configuration.commandName ?? "\(Self.self)"
                var line = "\(name): error: \(reason)\n"
                line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
            }
            Glibc.exit(code.rawValue)
        }
    }
}
