import ReplicastCore
import ReplicastWire
import Testing

/// A client of the one-row cluster (`OneRow`), with helpers to propose and answer.
struct OneRowClient {
    let servers = OneRow.servers
    let table: AllocationTable
    let configuration: ClientConfiguration
    var core: ClientCore

    init(configure: (inout ClientConfiguration) -> Void = { _ in }) throws {
        table = try OneRow.table()
        var configuration = ClientConfiguration(id: OneRow.client)
        configure(&configuration)
        self.configuration = configuration
        core = ClientCore(configuration: configuration, table: table)
    }

    /// Puts a 1000-byte chunk of `byte`s and returns the Put Proposal it sends.
    mutating func proposal(_ byte: UInt8, at now: Instant) throws -> (out: Outbound, message: PutProposal) {
        let payload = Payload(copying: [UInt8](repeating: byte, count: 1000))
        _ = core.put(payload, contentHash: ContentHash.of(payload), replicas: 2, now: now)
        let proposals = core.pollActions().compactMap { action -> (Outbound, PutProposal)? in
            if case .send(let out) = action, case .putProposal(let p) = out.message { return (out, p) } else { return nil }
        }
        return try #require(proposals.first)
    }

    /// Puts a 1000-byte chunk of `byte`s and returns its proposal's id and row.
    mutating func propose(_ byte: UInt8, at now: Instant) throws -> (RequestID, RowID) {
        let (out, message) = try proposal(byte, at: now)
        return (out.id, message.negotiatingGroup)
    }

    /// `server` offers `window` for `proposal`.
    mutating func answer(_ proposal: (RequestID, RowID), from server: NodeID, window: RendezvousWindow, at now: Instant) {
        let accept = PutAccept(proposal: proposal.0, negotiatingGroup: proposal.1, answer: .proposedRendezvous(window))
        core.handle(
            Inbound(kind: .response, id: RequestID(source: server, sequence: 1), generation: table.generation,
                    message: .putAccept(accept)),
            now: now)
    }
}
