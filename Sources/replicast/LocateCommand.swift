import ArgumentParser
import Foundation
import ReplicastRuntime

/// `replicast locate BUCKET/KEY`.
struct LocateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "locate", abstract: "Print, for every chunk of BUCKET/KEY, the servers that hold a replica.")

    @OptionGroup var options: ClientOptions

    @Argument(help: "The object's name, BUCKET/KEY.")
    var name: String

    func run() {
        let (bucket, key) = splitName(name)
        let client = options.connect()
        do {
            let located = try client.locateObject(bucket: bucket, key: key)
            for (i, entry) in located.enumerated() {
                let label = i == 0 ? "manifest" : "chunk \(i - 1)"
                print("\(label) \(entry.chunk.hex): " + entry.servers.map { "\($0)" }.joined(separator: " "))
            }
        } catch {
            fail("\(error)")
        }
    }
}
