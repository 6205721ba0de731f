import ReplicastWire

/// A property every run must keep.
public enum Invariant: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Every acknowledged put is readable, with the right content, while a designated
    /// replica survives (checked by the final verification gets; stores survive crashes).
    case acknowledgedPutsReadable = "acknowledged puts readable"
    /// A server that acknowledged a chunk has it in its store at that moment.
    case acknowledgedPutsDurable = "acknowledged puts durable"
    /// No get ever returns bytes other than those put under that hash.
    case getsReturnRightBytes = "gets return the right bytes"
    /// No server acts twice on one request (a retransmission is answered from the cache).
    case requestsActedOnOnce = "requests acted on once"
    /// A server's granted reservations never sum above its reserved inbound rate.
    case reservedIngressWithinAllocation = "reserved ingress within allocation"
    /// Every message the core asks to send can be encoded.
    case messagesEncodable = "messages encodable"
    /// Once the run is over and every pending timer has fired, no server keeps a
    /// transaction, a booking or a Rendezvous Group membership: work a vanished client (or a
    /// lost message) abandoned is released.
    case serversRelease = "servers release abandoned work"
    /// Every transaction finishes, and the run ends before its time limit.
    case transactionsFinish = "transactions finish"

    public var description: String { rawValue }
}

/// One broken invariant, with when and how.
public struct InvariantViolation: Sendable, Equatable, CustomStringConvertible {
    public var invariant: Invariant
    public var time: Instant
    public var detail: String

    public var description: String { "\(time) \(invariant): \(detail)" }
}

/// What the simulator knows to judge the run: the bytes of every chunk put, the holders of
/// every acknowledged one, and the violations seen.
struct InvariantLedger {
    private(set) var contents: [HashID: Payload] = [:]
    /// Hashes put, in first-put order (for choosing re-puts deterministically).
    private(set) var putOrder: [HashID] = []
    /// Servers known to store each acknowledged chunk.
    private(set) var holders: [HashID: Set<NodeID>] = [:]
    /// Hashes acknowledged, in first-acknowledgement order.
    private(set) var acknowledgedOrder: [HashID] = []
    private(set) var violations: [InvariantViolation] = []

    /// Remembers the bytes of a chunk about to be put.
    mutating func recordPut(_ hash: HashID, _ payload: Payload) {
        if contents[hash] == nil {
            contents[hash] = payload
            putOrder.append(hash)
        }
    }

    /// Remembers an acknowledged put and who stores it.
    mutating func recordAcknowledged(_ hash: HashID, holders servers: [NodeID]) {
        if holders[hash] == nil { acknowledgedOrder.append(hash) }
        holders[hash, default: []].formUnion(servers)
    }

    /// Whether `payload` is what was put under `hash`.
    func isRight(_ payload: Payload, for hash: HashID) -> Bool {
        contents[hash] == payload
    }

    mutating func fail(_ invariant: Invariant, at time: Instant, _ detail: String) {
        violations.append(InvariantViolation(invariant: invariant, time: time, detail: detail))
    }
}
