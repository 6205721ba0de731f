/// The base-10 logarithm of a positive integer, computed with plain IEEE arithmetic.
///
/// Every node must derive the same group size from the same membership, so the table does not
/// depend on the platform's libm: the natural logarithm is computed from the binary exponent and
/// the series ln(m) = 2·atanh((m − 1) / (m + 1)) on the significand m ∈ [1, 2).
enum DecimalLogarithm {
    private static let ln2 = 0.693_147_180_559_945_3
    private static let ln10 = 2.302_585_092_994_045_7

    /// log10(`n`) for `n` ≥ 1.
    static func of(_ n: Int) -> Double {
        precondition(n >= 1, "logarithm of a non-positive count")
        let x = Double(n)
        let m = x.significand
        let s = (m - 1) / (m + 1)  // 0 ≤ s < 1/3
        let s2 = s * s
        var term = s
        var sum = 0.0
        for k in 0..<32 {
            sum += term / Double(2 * k + 1)
            term *= s2
        }
        return (Double(x.exponent) * ln2 + 2 * sum) / ln10
    }
}
