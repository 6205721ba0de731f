// The message-level codec: which type code a message is sent as, which of its fields is the
// bulk payload, and the dispatch from a type code to the metadata layout.

extension Message {
    /// The type code this message is sent as.
    public var wireType: MessageType {
        switch self {
        case .putProposal(let m): m.wireType
        case .putAccept(let m): m.wireType
        case .consensusPutAccept: .consensusPutAccept
        case .rendezvousTransfer(let m): m.wireType
        case .payloadAck(let m): m.wireType
        case .payloadNak: .payloadNak
        case .relayedAck: .relayedAck
        case .consensusAck: .consensusAck
        case .getRequest(let m): m.wireType
        case .getResponse(let m): m.wireType
        case .getAccept: .getAccept
        case .additionalTargetRequest: .additionalTargetRequest
        case .errorGetResponse: .errorGetResponse
        case .contentNotImmediatelyAvailable: .contentNotImmediatelyAvailable
        case .transferAbort: .transferAbort
        case .staleGeneration: .staleGeneration
        case .heartbeat: .heartbeat
        case .membershipQuery: .membershipQuery
        case .membershipView: .membershipView
        }
    }

    /// The bulk payload sent after the metadata: Put Proposal and Get Response immediate
    /// content, Rendezvous Transfer content; `.empty` for every other message.
    public var payload: Payload {
        switch self {
        case .putProposal(let m): m.immediate
        case .rendezvousTransfer(let m): m.content
        case .getResponse(let m): m.immediate
        default: .empty
        }
    }

    /// What a sender needs, from one pass over the message: its type code, its metadata bytes
    /// (every field except the bulk payload, in wire order) and its bulk payload.
    func encodeForWire() throws(WireError) -> (type: MessageType, metadata: [UInt8], payload: Payload) {
        var w = WireWriter(capacity: 256)
        switch self {
        case .putProposal(let m):
            m.encode(to: &w)
            return (m.wireType, w.bytes, m.immediate)
        case .putAccept(let m):
            try m.encode(to: &w)
            return (m.wireType, w.bytes, .empty)
        case .consensusPutAccept(let m):
            try m.encode(to: &w)
            return (.consensusPutAccept, w.bytes, .empty)
        case .rendezvousTransfer(let m):
            try m.encode(to: &w)
            return (m.wireType, w.bytes, m.content)
        case .payloadAck(let m):
            m.encode(to: &w)
            return (m.wireType, w.bytes, .empty)
        case .payloadNak(let m):
            m.encode(to: &w)
            return (.payloadNak, w.bytes, .empty)
        case .relayedAck(let m):
            try m.encode(to: &w)
            return (.relayedAck, w.bytes, .empty)
        case .consensusAck(let m):
            try m.encode(to: &w)
            return (.consensusAck, w.bytes, .empty)
        case .getRequest(let m):
            try m.encode(to: &w)
            return (m.wireType, w.bytes, .empty)
        case .getResponse(let m):
            m.encode(to: &w)
            return (m.wireType, w.bytes, m.immediate)
        case .getAccept(let m):
            try m.encode(to: &w)
            return (.getAccept, w.bytes, .empty)
        case .additionalTargetRequest(let m):
            m.encode(to: &w)
            return (.additionalTargetRequest, w.bytes, .empty)
        case .errorGetResponse(let m):
            m.encode(to: &w)
            return (.errorGetResponse, w.bytes, .empty)
        case .contentNotImmediatelyAvailable(let m):
            m.encode(to: &w)
            return (.contentNotImmediatelyAvailable, w.bytes, .empty)
        case .transferAbort(let m):
            m.encode(to: &w)
            return (.transferAbort, w.bytes, .empty)
        case .staleGeneration(let m):
            m.encode(to: &w)
            return (.staleGeneration, w.bytes, .empty)
        case .heartbeat(let m):
            try m.encode(to: &w)
            return (.heartbeat, w.bytes, .empty)
        case .membershipQuery(let m):
            m.encode(to: &w)
            return (.membershipQuery, w.bytes, .empty)
        case .membershipView(let m):
            try m.encode(to: &w)
            return (.membershipView, w.bytes, .empty)
        }
    }

    /// Decodes a message of type `type` from its metadata bytes; `payload` is the bulk
    /// payload that followed them (must be empty for types without one). Every metadata byte
    /// must be consumed.
    init(type: MessageType, metadata: UnsafeRawBufferPointer, payload: Payload) throws(WireError) {
        guard type.hasPayload || payload.isEmpty else { throw .unexpectedPayload }
        var r = WireReader(metadata)
        switch type {
        case .unnamedPutProposal, .namedPutProposal:
            self = .putProposal(try PutProposal(wire: &r, named: type == .namedPutProposal, immediate: payload))
        case .putAcceptProposedRendezvous, .putAcceptAlreadyStored, .putAcceptNotNow:
            self = .putAccept(try PutAccept(wire: &r, type: type))
        case .consensusPutAccept:
            self = .consensusPutAccept(try ConsensusPutAccept(wire: &r))
        case .rendezvousTransfer, .rendezvousTransferArbitraryChunkID:
            self = .rendezvousTransfer(
                try RendezvousTransfer(
                    wire: &r, arbitrary: type == .rendezvousTransferArbitraryChunkID, content: payload))
        case .unnamedPayloadAck, .namedPayloadAck:
            self = .payloadAck(try PayloadAck(wire: &r, named: type == .namedPayloadAck))
        case .payloadNak:
            self = .payloadNak(try PayloadNak(wire: &r))
        case .relayedAck:
            self = .relayedAck(try RelayedAck(wire: &r))
        case .consensusAck:
            self = .consensusAck(try ConsensusAck(wire: &r))
        case .unnamedGetRequest, .namedGetRequest:
            self = .getRequest(try GetRequest(wire: &r, named: type == .namedGetRequest))
        case .unnamedGetResponse, .namedGetResponse:
            self = .getResponse(try GetResponse(wire: &r, named: type == .namedGetResponse, immediate: payload))
        case .getAccept:
            self = .getAccept(try GetAccept(wire: &r))
        case .additionalTargetRequest:
            self = .additionalTargetRequest(try AdditionalTargetRequest(wire: &r))
        case .errorGetResponse:
            self = .errorGetResponse(try ErrorGetResponse(wire: &r))
        case .contentNotImmediatelyAvailable:
            self = .contentNotImmediatelyAvailable(try ContentNotImmediatelyAvailable(wire: &r))
        case .transferAbort:
            self = .transferAbort(try TransferAbort(wire: &r))
        case .staleGeneration:
            self = .staleGeneration(try StaleGeneration(wire: &r))
        case .heartbeat:
            self = .heartbeat(try Heartbeat(wire: &r))
        case .membershipQuery:
            self = .membershipQuery(try MembershipQuery(wire: &r))
        case .membershipView:
            self = .membershipView(try MembershipView(wire: &r))
        }
        try r.finish()
    }
}
