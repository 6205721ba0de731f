import ArgumentParser
import Foundation
import ReplicastRuntime

/// `replicast put FILE --name BUCKET/KEY`.
struct PutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "put", abstract: "Store a file as BUCKET/KEY.")

    @OptionGroup var options: ClientOptions

    @Argument(help: "The file to store.")
    var file: String

    @Option(name: .long, help: "The object's name, BUCKET/KEY.")
    var name: String

    @Option(name: .long, help: "Replicas per chunk (default: the cluster file's).")
    var replicas: Int?

    @Option(name: .long, help: "Chunk size in bytes.")
    var chunkSize: Int = 1 << 20

    @Option(name: .long, help: "Chunks in flight.")
    var window: Int = 4

    func validate() throws {
        try require(replicas, atLeast: 1, "replicas")
        try require(chunkSize, atLeast: 1, "chunk-size")
        guard chunkSize <= Int(UInt32.max) else { throw ValidationError("--chunk-size must be at most \(UInt32.max)") }
        try require(window, atLeast: 1, "window")
    }

    func run() {
        let (bucket, key) = splitName(name)
        let client = options.connect()
        var bar = ProgressBar(label: "put")
        do {
            let r = try client.putObject(
                path: file, bucket: bucket, key: key, chunkSize: chunkSize, replicas: replicas,
                consensus: options.consensusMode, window: window, progress: { bar.update($0, of: $1) })
            let mbps = Double(r.size) / max(r.seconds, 1e-9) / 1e6
            print("put \(bucket)/\(key): \(r.size) bytes in \(r.placements.count) chunks, \(String(format: "%.3f", r.seconds)) s, \(String(format: "%.1f", mbps)) MB/s")
            print("  deduplicated chunks: \(r.deduplicated)")
            print("  bytes sent by the client: \(r.bytesSent) (\(String(format: "%.3f", Double(r.bytesSent) / Double(max(r.size, 1)))) per byte of object)")
            var perServer: [String: Int] = [:]
            for p in r.placements { for s in p.servers { perServer["\(s)", default: 0] += 1 } }
            print("  replicas per server: " + perServer.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
            print("  manifest on: " + r.manifestServers.map { "\($0)" }.joined(separator: " "))
        } catch {
            fail("\(error)")
        }
    }
}
