#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ReplicastWire

/// The node's clock: CLOCK_REALTIME, shared by every node on a machine (and kept in step
/// across a rack by PTP/NTP). Only the runtime reads it; the protocol core is handed `now`.
public enum WallClock {
    public static func now() -> Instant {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Instant(nanoseconds: UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec))
    }

    /// Sleeps for `duration` (used for sub-millisecond pacing gaps).
    public static func sleep(_ duration: Duration) {
        let ns = max(0, duration.nanoseconds)
        var request = timespec(tv_sec: Int(ns / 1_000_000_000), tv_nsec: Int(ns % 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 { request = remaining }
    }
}
