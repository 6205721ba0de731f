import PropertyBased
import ReplicastWire

/// Random values for every field of every message type, for property-based tests.
enum Arbitrary {
    static func u8(_ r: inout some RandomNumberGenerator) -> UInt8 { UInt8.random(in: .min ... .max, using: &r) }
    static func u16(_ r: inout some RandomNumberGenerator) -> UInt16 { UInt16.random(in: .min ... .max, using: &r) }
    static func u32(_ r: inout some RandomNumberGenerator) -> UInt32 { UInt32.random(in: .min ... .max, using: &r) }
    static func u64(_ r: inout some RandomNumberGenerator) -> UInt64 { r.next() }

    static func hash(_ r: inout some RandomNumberGenerator) -> HashID {
        HashID(words: (r.next(), r.next(), r.next(), r.next()))
    }

    static func requestID(_ r: inout some RandomNumberGenerator) -> RequestID {
        RequestID(source: NodeID(u32(&r)), sequence: u32(&r), subsequence: u16(&r))
    }

    static func group(_ r: inout some RandomNumberGenerator) -> GroupAddress {
        Bool.random(using: &r)
            ? GroupAddress(ipv4: 239, u8(&r), u8(&r), u8(&r), port: u16(&r))
            : GroupAddress(address: (r.next(), r.next()), port: u16(&r))
    }

    static func instant(_ r: inout some RandomNumberGenerator) -> Instant { Instant(nanoseconds: r.next()) }

    static func duration(_ r: inout some RandomNumberGenerator) -> Duration {
        .nanoseconds(Int64.random(in: 0 ... .max, using: &r))
    }

    static func window(_ r: inout some RandomNumberGenerator) -> RendezvousWindow {
        RendezvousWindow(start: instant(&r), duration: duration(&r), rate: u64(&r))
    }

    static func name(_ r: inout some RandomNumberGenerator) -> ChunkName {
        ChunkName(bucket: hash(&r), name: hash(&r), version: u64(&r))
    }

    static func nodes(_ r: inout some RandomNumberGenerator) -> [NodeID] {
        (0..<Int.random(in: 0...WireFormat.maxNodeList, using: &r)).map { _ in NodeID(u32(&r)) }
    }

    static func windows(_ r: inout some RandomNumberGenerator) -> [RendezvousWindow] {
        (0..<Int.random(in: 0...WireFormat.maxReceptionWindows, using: &r)).map { _ in window(&r) }
    }

    static func oneOf<T: CaseIterable>(_: T.Type, _ r: inout some RandomNumberGenerator) -> T {
        T.allCases.randomElement(using: &r)!
    }

    /// Empty a quarter of the time, else up to 30 000 bytes (many fragments at 1472 bytes).
    static func payload(_ r: inout some RandomNumberGenerator) -> Payload {
        let n: Int
        switch Int.random(in: 0..<4, using: &r) {
        case 0: n = 0
        case 1: n = Int.random(in: 1...100, using: &r)
        default: n = Int.random(in: 101...30_000, using: &r)
        }
        return Payload(copying: (0..<n).map { _ in u8(&r) })
    }

    /// A message of wire type `type` with every field random.
    static func message(_ type: MessageType, _ r: inout some RandomNumberGenerator) -> Message {
        switch type {
        case .unnamedPutProposal, .namedPutProposal:
            return .putProposal(
                PutProposal(
                    negotiatingGroup: RowID(u32(&r)), contentHash: hash(&r),
                    name: type == .namedPutProposal ? name(&r) : nil, chunkLength: u64(&r),
                    trackingTokensLength: u32(&r), deliveryGroup: group(&r), maxDeliveryRate: u64(&r),
                    replicas: u8(&r), consensus: oneOf(ConsensusMode.self, &r), immediate: payload(&r)))
        case .putAcceptProposedRendezvous, .putAcceptAlreadyStored, .putAcceptNotNow:
            let answer: PutAccept.Answer =
                switch type {
                case .putAcceptProposedRendezvous: .proposedRendezvous(window(&r))
                case .putAcceptNotNow: .notNow(earliestRetry: instant(&r))
                default: .alreadyStored
                }
            return .putAccept(PutAccept(proposal: requestID(&r), negotiatingGroup: RowID(u32(&r)), answer: answer))
        case .consensusPutAccept:
            return .consensusPutAccept(
                ConsensusPutAccept(
                    proposal: requestID(&r), negotiatingGroup: RowID(u32(&r)), members: nodes(&r),
                    alreadyStored: nodes(&r), window: window(&r)))
        case .rendezvousTransfer, .rendezvousTransferArbitraryChunkID:
            return .rendezvousTransfer(
                RendezvousTransfer(
                    request: requestID(&r), deliveryGroup: group(&r), members: nodes(&r), rate: u64(&r),
                    contentHash: hash(&r),
                    arbitraryChunkID: type == .rendezvousTransferArbitraryChunkID ? hash(&r) : nil,
                    offset: u64(&r), trackingTokensLength: u32(&r), content: payload(&r)))
        case .unnamedPayloadAck, .namedPayloadAck:
            return .payloadAck(
                PayloadAck(
                    proposal: requestID(&r), contentHash: hash(&r), name: type == .namedPayloadAck ? name(&r) : nil))
        case .payloadNak:
            return .payloadNak(PayloadNak(proposal: requestID(&r), contentHash: hash(&r), code: oneOf(NakCode.self, &r)))
        case .relayedAck:
            return .relayedAck(
                RelayedAck(
                    proposal: requestID(&r), negotiatingGroup: RowID(u32(&r)), contentHash: hash(&r),
                    storedOn: nodes(&r)))
        case .consensusAck:
            return .consensusAck(ConsensusAck(proposal: requestID(&r), contentHash: hash(&r), storedOn: nodes(&r)))
        case .unnamedGetRequest, .namedGetRequest:
            let target: GetTarget
            if type == .namedGetRequest {
                let a = u64(&r)
                let b = u64(&r)
                target = .named(bucket: hash(&r), name: hash(&r), versions: min(a, b)...max(a, b))
            } else {
                target = .content(hash(&r))
            }
            return .getRequest(
                GetRequest(
                    negotiatingGroup: RowID(u32(&r)), target: target, deliveryGroup: group(&r),
                    maxImmediate: u32(&r), maxDelegatedGets: u16(&r), consensus: oneOf(ConsensusMode.self, &r),
                    receptionWindows: windows(&r)))
        case .unnamedGetResponse, .namedGetResponse:
            return .getResponse(
                GetResponse(
                    request: requestID(&r), negotiatingGroup: RowID(u32(&r)), deliveryGroup: group(&r),
                    responseTime: instant(&r), server: NodeID(u32(&r)), contentHash: hash(&r),
                    name: type == .namedGetResponse ? name(&r) : nil, rate: u64(&r), contentLength: u64(&r),
                    immediate: payload(&r)))
        case .getAccept:
            return .getAccept(
                GetAccept(request: requestID(&r), negotiatingGroup: RowID(u32(&r)), server: NodeID(u32(&r)), window: window(&r)))
        case .additionalTargetRequest:
            return .additionalTargetRequest(
                AdditionalTargetRequest(
                    request: requestID(&r), negotiatingGroup: RowID(u32(&r)), deliveryGroup: group(&r),
                    contentHash: hash(&r)))
        case .errorGetResponse:
            return .errorGetResponse(
                ErrorGetResponse(
                    request: requestID(&r), negotiatingGroup: RowID(u32(&r)), deliveryGroup: group(&r),
                    code: oneOf(GetErrorCode.self, &r)))
        case .contentNotImmediatelyAvailable:
            return .contentNotImmediatelyAvailable(
                ContentNotImmediatelyAvailable(request: requestID(&r), negotiatingGroup: RowID(u32(&r)), availableAt: instant(&r)))
        case .transferAbort:
            return .transferAbort(TransferAbort(request: requestID(&r), deliveryGroup: group(&r), reason: oneOf(AbortReason.self, &r)))
        case .staleGeneration:
            return .staleGeneration(StaleGeneration(request: requestID(&r), currentGeneration: u32(&r)))
        case .heartbeat:
            return .heartbeat(
                Heartbeat(
                    incarnation: u64(&r), sentAt: instant(&r),
                    echoes: nodes(&r).map { Heartbeat.Echo(peer: $0, sentAt: instant(&r), hold: duration(&r)) }))
        case .membershipQuery:
            return .membershipQuery(MembershipQuery(responder: NodeID(u32(&r)), sentAt: instant(&r)))
        case .membershipView:
            return .membershipView(
                MembershipView(
                    request: requestID(&r), incarnation: u64(&r), echoedSentAt: instant(&r), hold: duration(&r),
                    down: nodes(&r).map { MembershipView.Down(node: $0, incarnation: u64(&r)) }))
        }
    }

    static func envelope(_ type: MessageType, _ r: inout some RandomNumberGenerator) -> Envelope {
        Envelope(kind: oneOf(MessageKind.self, &r), id: requestID(&r), generation: u32(&r), message: message(type, &r))
    }
}

extension Arbitrary {
    /// A generator of envelopes carrying a random message of wire type `type`.
    static func envelopes(of type: MessageType) -> Generator<Envelope, Shrink.None<Envelope>> {
        Generator { rng in envelope(type, &rng) }
    }
}
