import ReplicastCore

extension ServerStats {
    /// The counters that explain retried puts, summed over `servers`, as one line: incomplete
    /// transfers, NAKs, Not Now, declined windows, expired reservations.
    static func retrySummary(of servers: [ServerStats]) -> String {
        var totals = ServerStats()
        for stats in servers {
            totals.naks += stats.naks
            totals.incompleteTransfers += stats.incompleteTransfers
            totals.notNow += stats.notNow
            totals.declinedWindows += stats.declinedWindows
            totals.expiredReservations += stats.expiredReservations
        }
        return "\(totals.incompleteTransfers) incomplete transfers, \(totals.naks) NAKs, \(totals.notNow) Not Now, "
            + "\(totals.declinedWindows) declined windows, \(totals.expiredReservations) expired reservations"
    }
}
