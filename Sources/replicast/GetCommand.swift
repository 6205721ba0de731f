import ArgumentParser
import Foundation
import ReplicastRuntime

/// `replicast get BUCKET/KEY -o OUT`.
struct GetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Fetch BUCKET/KEY into a file.")

    @OptionGroup var options: ClientOptions

    @Argument(help: "The object's name, BUCKET/KEY.")
    var name: String

    @Option(name: .shortAndLong, help: "Where to write the object.")
    var output: String

    @Option(name: .long, help: "Chunks in flight.")
    var window: Int = 4

    func validate() throws {
        try require(window, atLeast: 1, "window")
    }

    func run() {
        let (bucket, key) = splitName(name)
        let client = options.connect()
        var bar = ProgressBar(label: "get")
        do {
            let r = try client.getObject(
                bucket: bucket, key: key, output: output, consensus: options.consensusMode, window: window,
                progress: { bar.update($0, of: $1) })
            let mbps = Double(r.size) / max(r.seconds, 1e-9) / 1e6
            print("get \(bucket)/\(key): \(r.size) bytes in \(r.chunks) chunks, \(String(format: "%.3f", r.seconds)) s, \(String(format: "%.1f", mbps)) MB/s, every chunk verified")
            if r.volunteered > 0 { print("  volunteers joined \(r.volunteered) deliveries") }
        } catch {
            fail("\(error)")
        }
    }
}
