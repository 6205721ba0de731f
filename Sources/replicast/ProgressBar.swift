import Foundation
import ReplicastRuntime
import ReplicastWire

/// A one-line progress bar on standard error, drawn only when it is a terminal.
struct ProgressBar {
    let label: String
    let enabled = isatty(2) == 1
    let start = WallClock.now()
    private var lastDraw = WallClock.now()

    init(label: String) { self.label = label }

    mutating func update(_ done: UInt64, of total: UInt64) {
        guard enabled else { return }
        let now = WallClock.now()
        guard done == total || now - lastDraw > .milliseconds(100) else { return }
        lastDraw = now
        let fraction = total == 0 ? 1 : Double(done) / Double(total)
        let width = 30
        let filled = Int(fraction * Double(width))
        let seconds = max(Double((now - start).nanoseconds) / 1e9, 1e-9)
        let rate = Double(done) / seconds / 1e6
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        let line = String(format: "\r%@ [%@] %3.0f%% %.1f MB/s", label, bar, fraction * 100, rate)
        FileHandle.standardError.write(Data(line.utf8))
        if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
