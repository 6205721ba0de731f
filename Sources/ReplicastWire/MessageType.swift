/// The message type code carried in every datagram header: one code per wire form.
///
/// Codes 0x10-0x1F are the put transaction, 0x20-0x2F the get transaction, 0x30-0x3F
/// control notices, 0x40-0x4F keep-alive membership. Named and unnamed variants, the three Put Accept answers and the
/// Rendezvous Transfer with an Arbitrary Chunk ID are separate codes, so the metadata layout
/// follows from the code alone (docs/PROTOCOL.md, "Message types").
public enum MessageType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case unnamedPutProposal = 0x10
    case namedPutProposal = 0x11
    case putAcceptProposedRendezvous = 0x12
    case putAcceptAlreadyStored = 0x13
    case putAcceptNotNow = 0x14
    case consensusPutAccept = 0x15
    case rendezvousTransfer = 0x16
    case rendezvousTransferArbitraryChunkID = 0x17
    case unnamedPayloadAck = 0x18
    case namedPayloadAck = 0x19
    case payloadNak = 0x1A
    case relayedAck = 0x1B
    case consensusAck = 0x1C
    case unnamedGetRequest = 0x20
    case namedGetRequest = 0x21
    case unnamedGetResponse = 0x22
    case namedGetResponse = 0x23
    case getAccept = 0x24
    case additionalTargetRequest = 0x25
    case errorGetResponse = 0x26
    case contentNotImmediatelyAvailable = 0x27
    case transferAbort = 0x30
    case staleGeneration = 0x31
    case heartbeat = 0x40
    case membershipQuery = 0x41
    case membershipView = 0x42

    /// Whether messages of this type may carry bulk payload after their metadata.
    public var hasPayload: Bool {
        switch self {
        case .unnamedPutProposal, .namedPutProposal, .rendezvousTransfer,
            .rendezvousTransferArbitraryChunkID, .unnamedGetResponse, .namedGetResponse:
            return true
        default:
            return false
        }
    }

    /// Whether this type carries chunk bytes on reserved bandwidth (a Rendezvous Transfer).
    public var isTransfer: Bool {
        self == .rendezvousTransfer || self == .rendezvousTransferArbitraryChunkID
    }

    public var description: String {
        switch self {
        case .unnamedPutProposal: "Unnamed Put Proposal"
        case .namedPutProposal: "Named Put Proposal"
        case .putAcceptProposedRendezvous: "Put Accept (Proposed Rendezvous)"
        case .putAcceptAlreadyStored: "Put Accept (Content Already Stored)"
        case .putAcceptNotNow: "Put Accept (Not Now)"
        case .consensusPutAccept: "Consensus Put Accept"
        case .rendezvousTransfer: "Rendezvous Transfer"
        case .rendezvousTransferArbitraryChunkID: "Rendezvous Transfer (Arbitrary Chunk ID)"
        case .unnamedPayloadAck: "Unnamed Payload ACK"
        case .namedPayloadAck: "Named Payload ACK"
        case .payloadNak: "Payload NAK"
        case .relayedAck: "Relayed ACK"
        case .consensusAck: "Consensus ACK"
        case .unnamedGetRequest: "Unnamed Get Request"
        case .namedGetRequest: "Named Get Request"
        case .unnamedGetResponse: "Unnamed Get Response"
        case .namedGetResponse: "Named Get Response"
        case .getAccept: "Get Accept"
        case .additionalTargetRequest: "Additional Target Request"
        case .errorGetResponse: "Error Get Response"
        case .contentNotImmediatelyAvailable: "Content Not Immediately Available"
        case .transferAbort: "Transfer Abort"
        case .staleGeneration: "Stale Generation"
        case .heartbeat: "Heartbeat"
        case .membershipQuery: "Membership Query"
        case .membershipView: "Membership View"
        }
    }
}
