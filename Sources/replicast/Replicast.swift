import ArgumentParser
import Foundation
import ReplicastCommandLine

/// `replicast`: the command-line client of a Replicast cluster.
@main
struct Replicast: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replicast",
        abstract: "Put and get objects through a Replicast cluster; run a local cluster.",
        discussion: "--cluster FILE may come before the subcommand or after it.",
        subcommands: [
            LocalClusterCommand.self, PutCommand.self, GetCommand.self, LocateCommand.self, WorkloadCommand.self,
            SimulateCommand.self,
        ])

    /// `--cluster` before the subcommand. The client subcommands declare the same option group
    /// (in `ClientOptions`), and ArgumentParser gives them this value, wherever it stood.
    @OptionGroup var clusterFile: ClusterFileOption

    /// An error is one line: `replicast: error: REASON`.
    static func main() {
        mainReportingErrorsOnOneLine()
    }
}

/// For the subcommands that take no cluster file: rejects `--cluster`, which the root command
/// would otherwise accept and ignore.
func rejectClusterFile(_ root: Replicast, _ subcommand: String) throws {
    if root.clusterFile.cluster != nil {
        throw ValidationError("--cluster does not apply to \(subcommand) (only to put, get, locate and workload)")
    }
}

/// Prints a one-line reason and exits non-zero.
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("replicast: error: \(message)\n".utf8))
    exit(1)
}
