import ReplicastSimulator

/// The simulation configurations the tests share.
enum SimulationFixtures {
    /// `transactions` over the default cluster with 2 % loss, duplication and reordering on
    /// every link.
    static func lossy(seed: UInt64, transactions: Int) -> SimulationConfiguration {
        var c = SimulationConfiguration(seed: seed)
        c.transactions = transactions
        c.faults.loss = 0.02
        c.faults.duplicate = 0.02
        c.faults.reorder = 0.02
        return c
    }

    /// The faulty run: `lossy`, plus two server crashes, a client crash and a partition.
    static func faulty(seed: UInt64, transactions: Int = 250) -> SimulationConfiguration {
        var c = lossy(seed: seed, transactions: transactions)
        c.faults.crashes = 2
        c.faults.clientCrashes = 1
        c.faults.partitions = 1
        return c
    }
}
