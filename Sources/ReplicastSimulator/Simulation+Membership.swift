import ReplicastCore
import ReplicastWire

/// Scripted runs: no workload, the test decides what happens and when (crash this server,
/// let time pass, put this chunk) and reads each server core's state, e.g. its keep-alive
/// membership view. Enable the keep-alive service with `serverTuning` / `clientTuning`
/// (`configuration.membership`).
extension Simulation {
    /// Starts the servers (they join their groups; the first heartbeats go at once) without
    /// any workload. Call before the other scripted calls, instead of `run()`.
    public func boot() {
        phase = .recovery  // no workload: finished transactions start nothing
        startNodes()
    }

    /// The virtual time now.
    public var time: Instant { now }

    /// Lets every event happen up to `end` (or until `stop` holds after an event). Returns
    /// whether `stop` held.
    @discardableResult
    public func advance(to end: Instant, stop: () -> Bool = { false }) -> Bool {
        while let next = events.peekTime, next <= end {
            guard let (time, event) = events.pop() else { break }
            now = time
            handleScripted(event)
            if stop() { return true }
        }
        now = max(now, end)
        return false
    }

    /// Crashes server `id` now (it stays down until `restart(server:)`).
    public func crash(server id: NodeID) {
        crash(server(id))
    }

    /// Restarts server `id` now, as a new incarnation.
    public func restart(server id: NodeID) {
        let s = server(id)
        restart(s, incarnation: s.attachment.incarnation)
    }

    /// Server `id`'s keep-alive membership view; nil while it is down or without the service.
    public func membership(of id: NodeID) -> Membership? { server(id).core?.membership }

    /// The server ids of the table.
    public var serverIDs: [NodeID] { servers.map(\.id) }

    /// The members of the row `hash` falls in.
    public func rowMembers(of hash: HashID) -> [NodeID] { table.members(of: table.rowID(for: hash)) }

    /// Workload client `index` starts a put of `payload` now (client consensus).
    public func scriptedPut(client index: Int, _ payload: Payload) {
        let c = clients[index]
        let hash = ContentHash.of(payload)
        chunks.recordPut(hash, payload)
        let token = c.driver.withCore(now: now) { $0.put(payload, contentHash: hash, consensus: .client, now: now) }
        c.inFlight[token] = .put(hash, started: now)
        report.puts.started += 1
        settle(c)
    }

    /// Workload client `index` starts a get of `hash` now (client consensus).
    public func scriptedGet(client index: Int, _ hash: HashID) {
        let c = clients[index]
        let token = c.driver.withCore(now: now) { $0.get(.content(hash), consensus: .client, now: now) }
        c.inFlight[token] = .get(hash)
        report.gets.started += 1
        settle(c)
    }

    /// Whether client `index` has nothing in flight.
    public func isIdle(client index: Int) -> Bool { clients[index].inFlight.isEmpty }

    /// Client `index`'s core (its liveness view, its round-trip estimates).
    public func clientCore(_ index: Int) -> ClientCore { clients[index].core }

    /// What the run has counted so far.
    public var reportSoFar: SimulationReport {
        var r = report
        r.serverStats = servers.reduce(ServerStats()) { $0.adding($1.stats) }
        r.violations = violations
        return r
    }

    /// Stops every running server's keep-alive service, so that a run can settle (nothing
    /// periodic is left).
    func stopKeepAlive() {
        for s in servers { s.driver?.withCore(now: now) { $0.stopMembership() } }
    }

    private func handleScripted(_ event: SimulationEvent) {
        switch event {
        case .clientStart, .arrival, .clientCrash, .verify: break  // no workload
        default: handle(event)
        }
    }
}
