import ArgumentParser

/// Benchmarks of the Replicast node's components. Results are kept in Benchmarks/results/.
@main
struct ReplicastBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replicast-bench",
        abstract: "Replicast benchmarks.",
        subcommands: [CodecBenchmark.self, PutBenchmark.self, VerbsBenchmark.self]
    )
}
