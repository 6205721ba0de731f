import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where a run's CPU time went: the calling thread's own user and system time
/// (`getrusage(RUSAGE_THREAD)`), and the machine's split from `/proc/stat`.
struct CPUAccounting {
    /// The calling thread's user and system seconds so far.
    static func threadSeconds() -> (user: Double, system: Double) {
        let usage = threadUsage()
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return (seconds(usage.ru_utime), seconds(usage.ru_stime))
    }

    /// The calling thread's minor page faults so far (each a page the kernel mapped and zeroed).
    static func threadPageFaults() -> Int { threadUsage().ru_minflt }

    private static func threadUsage() -> rusage {
        var usage = rusage()
        #if os(Linux)
        getrusage(__rusage_who_t(1), &usage)  // RUSAGE_THREAD, hidden without _GNU_SOURCE
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        return usage
    }

    /// The machine's CPU time by kind, in clock ticks, from the first line of `/proc/stat`.
    struct Machine {
        var ticks: [String: Double] = [:]
        static let kinds = ["user", "nice", "system", "idle", "iowait", "irq", "softirq"]

        static func read() -> Machine {
            guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
                let first = stat.split(separator: "\n").first
            else { return Machine() }
            let fields = first.split(separator: " ").dropFirst().compactMap { Double($0) }
            var machine = Machine()
            for (kind, value) in zip(kinds, fields) { machine.ticks[kind] = value }
            return machine
        }

        /// "user 31%, system 12%, softirq 40%, idle 17%" of the CPU time between `earlier` and self.
        func share(since earlier: Machine) -> String {
            let delta = Self.kinds.map { ($0, (ticks[$0] ?? 0) - (earlier.ticks[$0] ?? 0)) }
            let total = delta.reduce(0) { $0 + $1.1 }
            guard total > 0 else { return "no /proc/stat" }
            return delta.filter { $0.1 > 0 }.map { "\($0.0) \(Int(($0.1 / total * 100).rounded()))%" }
                .joined(separator: ", ")
        }
    }
}
