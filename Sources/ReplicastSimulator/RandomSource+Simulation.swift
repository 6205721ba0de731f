import ReplicastCore

extension RandomSource {
    /// True with probability `p` (never for p ≤ 0).
    mutating func chance(_ p: Double) -> Bool {
        p > 0 && unit() < p
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// Uniform integer in `range`.
    mutating func integer(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    /// Uniform duration in `range`.
    mutating func duration(in range: ClosedRange<Duration>) -> Duration {
        let low = range.lowerBound.nanoseconds, high = range.upperBound.nanoseconds
        return .nanoseconds(low + Int64(next() % UInt64(high - low + 1)))
    }

    /// A generator for another purpose, seeded from this one (so that adding draws to one
    /// purpose does not shift the others).
    mutating func fork() -> RandomSource {
        RandomSource(seed: next())
    }
}
