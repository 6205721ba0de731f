import ReplicastCore
import ReplicastWire

/// What the workload has put and what was acknowledged: the bytes of every chunk put and
/// the holders of every acknowledged one. The workload draws its re-puts and gets from it;
/// the checkers judge against it.
struct ChunkLedger {
    private(set) var contents: [HashID: Payload] = [:]
    /// Hashes put, in first-put order (for choosing re-puts deterministically).
    private(set) var putOrder: [HashID] = []
    /// Servers known to store each acknowledged chunk.
    private(set) var holders: [HashID: Set<NodeID>] = [:]
    /// Hashes acknowledged, in first-acknowledgement order.
    private(set) var acknowledgedOrder: [HashID] = []

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
}
