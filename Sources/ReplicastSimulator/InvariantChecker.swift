import ReplicastCore
import ReplicastWire

/// Judges invariants from what the simulation observes. The simulation carries out the run
/// and only reports what happened (a server acted on a message, its disk completed a write,
/// it crashed or restarted, a put was acknowledged, a get returned, the run ended); each
/// checker keeps what it needs to judge its invariants and records what it finds broken
/// through `SimulationWorld.fail`. A checker reads the world, never changes it.
///
/// Every hook has an empty default: a checker implements the ones it needs. The checkers
/// a simulation runs are `Simulation.standardCheckers()`, one file each in Checkers/.
protocol InvariantChecker: AnyObject {
    /// A server's core took `actions`, on receiving `inbound` (nil: a timer, a disk
    /// completion or a command), before the driver carries them out.
    func serverActed(_ server: NodeID, inbound: Inbound?, actions: [Action<StorageRequest>], in world: SimulationWorld)
    /// A server's driver has carried out everything due after an event (its calendar and
    /// counters are as the event left them).
    func serverSettled(_ server: NodeID, in world: SimulationWorld)
    /// A server crashed: its core and everything not flushed to its store are gone.
    func serverCrashed(_ server: NodeID, in world: SimulationWorld)
    /// A crashed server restarted from its store.
    func serverRestarted(_ server: NodeID, in world: SimulationWorld)
    /// A client's put was acknowledged (before the ledger records it).
    func putAcknowledged(_ receipt: PutReceipt, by client: NodeID, in world: SimulationWorld)
    /// A get of `hash` finished; `verifying` for the final read-back of acknowledged chunks.
    func getCompleted(_ hash: HashID, _ result: Result<GetReceipt, GetError>, by client: NodeID, verifying: Bool,
                      in world: SimulationWorld)
    /// The run is over.
    func runEnded(_ end: RunEnd, in world: SimulationWorld)
}

extension InvariantChecker {
    func serverActed(_ server: NodeID, inbound: Inbound?, actions: [Action<StorageRequest>], in world: SimulationWorld) {}
    func serverSettled(_ server: NodeID, in world: SimulationWorld) {}
    func serverCrashed(_ server: NodeID, in world: SimulationWorld) {}
    func serverRestarted(_ server: NodeID, in world: SimulationWorld) {}
    func putAcknowledged(_ receipt: PutReceipt, by client: NodeID, in world: SimulationWorld) {}
    func getCompleted(_ hash: HashID, _ result: Result<GetReceipt, GetError>, by client: NodeID, verifying: Bool,
                      in world: SimulationWorld) {}
    func runEnded(_ end: RunEnd, in world: SimulationWorld) {}
}

/// How a run ended.
enum RunEnd {
    /// The workload and the verification finished, and every timer pending then has fired.
    case finished
    /// Virtual time passed the run's limit with work left.
    case timeLimitPassed(Duration)
    /// Nothing was left to happen while transactions were in flight.
    case stalled(inFlight: Int, phase: String)
}

/// What a checker may read of the simulated world (true virtual time, the ledger of what
/// was put and acknowledged, each server's store, core and driver counters), and where it
/// records a broken invariant.
struct SimulationWorld {
    unowned let simulation: Simulation

    /// True virtual time.
    var now: Instant { simulation.now }
    var chunks: ChunkLedger { simulation.chunks }
    var serverIDs: [NodeID] { simulation.servers.map(\.id) }
    /// The store of a server (it survives crashes).
    func store(of server: NodeID) -> SimulatedStore { simulation.server(server).store }
    /// A server's core; nil while it is down.
    func core(of server: NodeID) -> ServerCore? { simulation.server(server).core }
    /// Messages a server's current incarnation could not encode.
    func encodeErrors(of server: NodeID) -> UInt64 { simulation.server(server).driver?.stats.encodeErrors ?? 0 }
    /// A server's current incarnation (bumped by each crash).
    func incarnation(of server: NodeID) -> Int { simulation.server(server).attachment.incarnation }
    /// Whether any invariant was found broken so far.
    var hasViolations: Bool { !simulation.violations.isEmpty }

    /// Records a broken invariant at the present time.
    func fail(_ invariant: Invariant, _ detail: String) {
        simulation.violations.append(InvariantViolation(invariant: invariant, time: now, detail: detail))
    }
}

extension Simulation {
    /// Every invariant's checker.
    static func standardCheckers() -> [any InvariantChecker] {
        [
            RequestsActedOnOnceChecker(),
            ReservedIngressChecker(),
            EncodableMessagesChecker(),
            AcknowledgedPutsDurableChecker(),
            DurableAcknowledgementChecker(),
            CrashSurvivalChecker(),
            RightBytesChecker(),
            AcknowledgedReadableChecker(),
            ServersReleaseChecker(),
            TransactionsFinishChecker(),
        ]
    }

    /// Tells every checker of an observation.
    func tellCheckers(_ observation: (any InvariantChecker, SimulationWorld) -> Void) {
        let world = SimulationWorld(simulation: self)
        for checker in checkers { observation(checker, world) }
    }
}
