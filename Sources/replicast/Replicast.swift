import ArgumentParser
import Foundation

/// `replicast`: the command-line client of a Replicast cluster.
@main
struct Replicast: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replicast",
        abstract: "Put and get objects through a Replicast cluster; run a local cluster.",
        subcommands: [
            LocalClusterCommand.self, PutCommand.self, GetCommand.self, LocateCommand.self, WorkloadCommand.self,
            SimulateCommand.self,
        ])

    /// Accepts `replicast --cluster FILE <subcommand> ...` by moving the leading cluster
    /// option behind the subcommand, where the subcommands declare it.
    static func main() {
        var args = Array(CommandLine.arguments.dropFirst())
        if args.count >= 3, args[0] == "--cluster" {
            let option = Array(args[0...1])
            args.removeFirst(2)
            args.insert(contentsOf: option, at: 1)
        } else if let first = args.first, first.hasPrefix("--cluster=") {
            args.removeFirst()
            args.insert(first, at: min(1, args.count))
        }
        main(args)
    }
}

/// Prints a one-line reason and exits non-zero.
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("replicast: error: \(message)\n".utf8))
    exit(1)
}
