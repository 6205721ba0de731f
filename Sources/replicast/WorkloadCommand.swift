import ArgumentParser
import Foundation
import ReplicastCore
import ReplicastWire
import ReplicastRuntime

/// `replicast workload`: puts random objects, gets each back and compares every byte.
/// A load generator and a soak check; exits non-zero if any object failed.
struct WorkloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workload", abstract: "Put random objects, get them back, verify every byte.")

    @OptionGroup var options: ClientOptions

    @Option(help: "Objects to put and get.") var objects = 100
    @Option(help: "Smallest object, bytes.") var minSize = 1
    @Option(help: "Largest object, bytes.") var maxSize = 256 << 10
    @Option(help: "Chunk size, bytes.") var chunkSize = 64 << 10
    @Option(help: "Seed of the object contents and sizes.") var seed: UInt64 = 1
    @Flag(help: "Alternate client and cluster consensus (overrides --consensus).") var mixed = false

    func validate() throws {
        try require(objects, atLeast: 0, "objects")
        guard minSize >= 1, maxSize >= minSize else { throw ValidationError("need 1 <= --min-size <= --max-size") }
        try require(chunkSize, atLeast: 1, "chunk-size")
        guard chunkSize <= Int(UInt32.max) else { throw ValidationError("--chunk-size must be at most \(UInt32.max)") }
    }

    func run() throws {
        let client = options.connect()
        let dir = NSTemporaryDirectory() + "replicast-workload-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rng = RandomSource(seed: seed)
        var passed = 0, failed = 0, chunks = 0
        let start = Date()
        for i in 0..<objects {
            let size = minSize + Int(rng.next() % UInt64(maxSize - minSize + 1))
            var bytes = [UInt8](repeating: 0, count: size)
            for j in 0..<size { bytes[j] = UInt8(truncatingIfNeeded: rng.next()) }
            let input = "\(dir)/in-\(i)", output = "\(dir)/out-\(i)"
            try Data(bytes).write(to: URL(fileURLWithPath: input))
            let consensus: ConsensusMode = mixed ? (i % 2 == 0 ? .client : .cluster) : options.consensusMode
            do {
                let put = try client.putObject(path: input, bucket: "workload", key: "\(seed)-\(i)", chunkSize: chunkSize, consensus: consensus)
                chunks += put.placements.count
                _ = try client.getObject(bucket: "workload", key: "\(seed)-\(i)", output: output, consensus: consensus)
                if try Data(contentsOf: URL(fileURLWithPath: output)) == Data(bytes) {
                    passed += 1
                } else {
                    failed += 1
                    print("object \(i): read back different bytes")
                }
            } catch {
                failed += 1
                print("object \(i) (\(size) bytes, \(consensus)): \(error)")
            }
            try? FileManager.default.removeItem(atPath: input)
            try? FileManager.default.removeItem(atPath: output)
        }
        let seconds = Date().timeIntervalSince(start)
        print("workload: \(objects) objects, \(chunks) chunks put and read back in \(String(format: "%.1f", seconds)) s")
        print("\(passed) passed, \(failed) failed")
        if failed > 0 { throw ExitCode(1) }
    }
}
