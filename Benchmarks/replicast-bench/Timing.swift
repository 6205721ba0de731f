/// Times `body` `repetitions` times, each over `iterations` calls, and returns the median
/// time per call in nanoseconds.
func medianNanoseconds(repetitions: Int, iterations: Int, _ body: () throws -> Void) rethrows -> Double {
    let clock = ContinuousClock()
    var samples: [Double] = []
    samples.reserveCapacity(repetitions)
    for _ in 0..<repetitions {
        let start = clock.now
        for _ in 0..<iterations { try body() }
        let elapsed = clock.now - start
        samples.append(Double(elapsed.nanoseconds) / Double(iterations))
    }
    samples.sort()
    return samples[samples.count / 2]
}

/// Keeps a value alive and observed so the optimizer cannot drop the work producing it.
@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}

/// `value` with `digits` digits after the decimal point (no Foundation formatting).
func fixed(_ value: Double, _ digits: Int = 2) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = (value * scale).rounded()
    let whole = Int(scaled / scale)
    var fraction = String(Int(abs(scaled) - abs(Double(whole)) * scale))
    while fraction.count < digits { fraction = "0" + fraction }
    return digits == 0 ? String(whole) : "\(whole).\(fraction)"
}
