import ReplicastCore
import ReplicastDriver
import ReplicastWire

extension Simulation {
    var verifier: SimulatedClient { clients[clients.count - 1] }

    func clientStarts(_ c: SimulatedClient) {
        if configuration.workload.offeredRate != nil {
            transactionArrives(c)
        } else {
            launch(c)
        }
    }

    /// Open loop: one more transaction may start; the next arrives after the mean chunk
    /// size at the offered rate (jittered).
    func transactionArrives(_ c: SimulatedClient) {
        guard phase == .workload, c.eligible < c.remaining, let rate = configuration.workload.offeredRate else { return }
        c.eligible += 1
        launch(c)
        if c.remaining > c.eligible {
            let sizes = configuration.workload.chunkSizes
            let mean = Double(sizes.lowerBound + sizes.upperBound) / 2
            let interval = mean / Double(max(rate, 1)) * (0.5 + workloadRandom.unit())
            schedule(.arrival(c.id), at: now + .nanoseconds(Int64(interval * 1e9)))
        }
    }

    /// Starts transactions while the client has room and work.
    func launch(_ c: SimulatedClient) {
        while phase == .workload, c.inFlight.count < c.concurrency, c.eligible > 0, c.remaining > 0 {
            c.eligible -= 1
            c.remaining -= 1
            startTransaction(c)
        }
    }

    /// A put of a new random chunk, a put of a chunk put before, or a get of an acknowledged
    /// chunk.
    private func startTransaction(_ c: SimulatedClient) {
        let w = configuration.workload
        let draw = workloadRandom.unit()
        let consensus: ConsensusMode = workloadRandom.chance(w.clusterConsensusShare) ? .cluster : .client
        let acknowledged = chunks.acknowledgedOrder
        if draw < w.getShare, !acknowledged.isEmpty {
            let hash = acknowledged[workloadRandom.integer(in: 0...(acknowledged.count - 1))]
            let local = localNow(c.id)
            let token = c.driver.withCore(now: local) { $0.get(.content(hash), consensus: consensus, now: local) }
            c.inFlight[token] = .get(hash)
            report.gets.started += 1
        } else {
            let hash: HashID
            let payload: Payload
            let earlier = chunks.putOrder
            if draw < w.getShare + w.duplicateShare, !earlier.isEmpty {
                hash = earlier[workloadRandom.integer(in: 0...(earlier.count - 1))]
                payload = chunks.contents[hash]!
            } else {
                payload = randomPayload(workloadRandom.integer(in: w.chunkSizes))
                hash = ContentHash.of(payload)
                chunks.recordPut(hash, payload)
            }
            let local = localNow(c.id)
            let token = c.driver.withCore(now: local) { $0.put(payload, contentHash: hash, consensus: consensus, now: local) }
            c.inFlight[token] = .put(hash, started: now)
            report.puts.started += 1
        }
        settle(c)
    }

    private func randomPayload(_ count: Int) -> Payload {
        let buffer = PayloadBuffer(count: count)
        let bytes = buffer.mutableBytes
        var i = 0
        while i < count {
            var word = workloadRandom.next()
            for _ in 0..<min(8, count - i) {
                bytes[i] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                i += 1
            }
        }
        return Payload(buffer)
    }

    /// Watches a client's driver: counts retransmitted requests, traces what it receives.
    func observe(_ c: SimulatedClient) {
        c.driver.actionObserver = { [unowned self, unowned c] inbound, actions in
            if let inbound {
                trace?("\(now) \(inbound.source) -> \(c.id) \(inbound.message.traceDescription) \(inbound.id)")
            }
            guard c !== verifier else { return }
            for case .send(let out) in actions {
                // A request of a transaction that sent one before is a retransmission.
                let transaction = RequestID(source: out.id.source, sequence: out.id.sequence)
                if case .putProposal = out.message, !requesting.insert(transaction).inserted {
                    report.puts.retransmittedProposals += 1
                }
                if case .getRequest = out.message, !requesting.insert(transaction).inserted {
                    report.gets.retransmittedRequests += 1
                }
            }
        }
    }

    /// Carries out what a client's driver asks after an event: joins and leaves, outcomes,
    /// datagrams due; arms its next deadline and lets it start more work.
    func settle(_ c: SimulatedClient) {
        carryOut(c.driver, of: c.id) { outcome in
            switch outcome {
            case .put(let outcome): putFinished(outcome, c)
            case .get(let outcome): getFinished(outcome, c)
            case .locate: break
            }
        }
        arm(c.id, deadline: c.driver.nextDeadline)
        if c === verifier { verifyNext() } else { launch(c) }
    }

    private func putFinished(_ outcome: PutOutcome, _ c: SimulatedClient) {
        guard case .put(let hash, let started)? = c.inFlight.removeValue(forKey: outcome.token) else { return }
        digest.mix(now.rawValue)
        digest.mix(hash.prefix64)
        switch outcome.result {
        case .success(let receipt):
            digest.mix(UInt64(receipt.storedOn.count + receipt.alreadyStored.count))
            tellCheckers { $0.putAcknowledged(receipt, by: c.id, in: $1) }
            chunks.recordAcknowledged(hash, holders: receipt.storedOn + receipt.alreadyStored)
            report.puts.acknowledged += 1
            putLatencies.append(now - started)
            if receipt.transferred {
                report.puts.acknowledgedBytes += UInt64(chunks.contents[hash]?.count ?? 0)
            } else {
                report.puts.deduplicated += 1
            }
        case .failure(let error):
            digest.mix(0xFA11)
            report.puts.failed[error.reason, default: 0] += 1
        }
        transactionFinished()
    }

    private func getFinished(_ outcome: GetOutcome, _ c: SimulatedClient) {
        guard case .get(let hash)? = c.inFlight.removeValue(forKey: outcome.token) else { return }
        let verifying = c === verifier
        digest.mix(now.rawValue)
        digest.mix(hash.prefix64)
        tellCheckers { $0.getCompleted(hash, outcome.result, by: c.id, verifying: verifying, in: $1) }
        switch outcome.result {
        case .success(let receipt):
            if verifying {
                report.verified += 1
            } else {
                report.gets.succeeded += 1
                if receipt.immediate { report.gets.immediate += 1 }
            }
        case .failure(let error):
            digest.mix(0xFA11)
            if !verifying { report.gets.failed[error.reason, default: 0] += 1 }
        }
        if !verifying { transactionFinished() }
    }

    /// Counts a finished workload transaction; strikes the faults due at this point; ends
    /// the workload when every client is done.
    private func transactionFinished() {
        finishedTransactions += 1
        while let point = crashPoints.first, point <= finishedTransactions, phase == .workload {
            crashPoints.removeFirst()
            crashServer()
        }
        while let point = clientCrashPoints.first, point <= finishedTransactions, phase == .workload {
            clientCrashPoints.removeFirst()
            schedule(.clientCrash, at: now)
        }
        while let point = diskFillPoints.first, point <= finishedTransactions, phase == .workload {
            diskFillPoints.removeFirst()
            fillDisk()
        }
        while let point = partitionPoints.first, point <= finishedTransactions, phase == .workload {
            partitionPoints.removeFirst()
            partition()
        }
        if phase == .workload && clients.allSatisfy(\.isDone) { beginRecovery() }
    }

    /// Crashes a random workload client with transactions in flight: they are abandoned, it
    /// leaves its groups, and a new incarnation (same id, its own range of sequence numbers)
    /// takes over the rest of its work.
    func crashClient() {
        guard phase == .workload else { return }
        let busy = clients.dropLast().filter { !$0.inFlight.isEmpty }
        guard !busy.isEmpty else { return }
        let c = busy[faultRandom.integer(in: 0...(busy.count - 1))]
        for operation in c.inFlight.values {
            switch operation {
            case .put: report.puts.abandoned += 1
            case .get: report.gets.abandoned += 1
            }
        }
        let abandoned = c.inFlight.count
        c.inFlight = [:]
        c.attachment.crash(at: now)
        c.attachment.isUp = true
        leaveAll(c.id)
        tally(c.driver)
        var configuration = c.core.configuration
        configuration.firstSequence = c.attachment.firstSequence
        c.driver = ProtocolDriver(
            core: ClientCore(configuration: configuration, table: table), maxDatagramSize: c.links.mtu,
            limits: c.links.reassemblyLimits)
        observe(c)
        report.clientCrashes += 1
        trace?("\(now) client \(c.id) crashed with \(abandoned) transactions in flight")
        finishedTransactions += abandoned
        settle(c)
        if clients.allSatisfy(\.isDone) { beginRecovery() }
    }

    /// The workload is over: faults stop, partitions heal, crashed servers restart; the
    /// cluster settles before verification.
    func beginRecovery() {
        phase = .recovery
        report.workloadTime = now - workloadStart
        faults = FaultConfiguration()
        isolated = [:]
        for s in servers where s.driver == nil {
            s.restart(table: table)
            tellCheckers { $0.serverRestarted(s.id, in: $1) }
            observe(s)
            settle(s)
        }
        schedule(.verify, at: now + configuration.settleTime)
    }

    /// Reads back every acknowledged chunk through a fresh client.
    func beginVerification() {
        phase = .verification
        verificationQueue = chunks.acknowledgedOrder.reversed()
        verifyNext()
    }

    private func verifyNext() {
        guard phase == .verification else { return }
        let v = verifier
        while v.inFlight.count < v.concurrency, let hash = verificationQueue.popLast() {
            let local = localNow(v.id)
            let token = v.driver.withCore(now: local) { $0.get(.content(hash), consensus: .client, now: local) }
            v.inFlight[token] = .get(hash)
            settle(v)
        }
        if verificationQueue.isEmpty && v.inFlight.isEmpty { phase = .finished }
    }
}

extension PutError {
    /// The kind of failure, for counting.
    var reason: String {
        switch self {
        case .noResponse: return "no response"
        case .insufficientReplicas: return "insufficient replicas"
        case .staleTable: return "stale table"
        case .transportFailed: return "transport failed"
        }
    }
}

extension GetError {
    /// The kind of failure, for counting.
    var reason: String {
        switch self {
        case .notFound: return "not found"
        case .noResponse: return "no response"
        case .corrupt: return "corrupt"
        case .notAvailableUntil: return "not available"
        case .staleTable: return "stale table"
        case .transportFailed: return "transport failed"
        }
    }
}
