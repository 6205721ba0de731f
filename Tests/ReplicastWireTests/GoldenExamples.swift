import ReplicastWire

/// The example messages whose bytes docs/PROTOCOL.md shows ("Examples"). Each name matches a
/// ```` ```hex golden:NAME ```` block in the document (`NAME.i` for fragment i of a message
/// sent in several datagrams).
enum GoldenExamples {
    struct Example {
        var name: String
        var envelope: Envelope
        var maxDatagramSize: Int = 1472
    }

    static let client = NodeID(0x8000_0001)
    static let proposal = RequestID(source: client, sequence: 42)
    static let get = RequestID(source: client, sequence: 43, subsequence: 1)
    static let membershipQuery = RequestID(source: client, sequence: 44)
    static let row = RowID(7)
    static let content = HashID(words: (0xC1C1_C1C1_C1C1_C1C1, 0xC2C2_C2C2_C2C2_C2C2, 0xC3C3_C3C3_C3C3_C3C3, 0xC4C4_C4C4_C4C4_C4C4))
    static let other = HashID(words: (0xD1D1_D1D1_D1D1_D1D1, 0xD2D2_D2D2_D2D2_D2D2, 0xD3D3_D3D3_D3D3_D3D3, 0xD4D4_D4D4_D4D4_D4D4))
    static let bucket = HashID(words: (0xB1B1_B1B1_B1B1_B1B1, 0xB2B2_B2B2_B2B2_B2B2, 0xB3B3_B3B3_B3B3_B3B3, 0xB4B4_B4B4_B4B4_B4B4))
    static let nameHash = HashID(words: (0xA1A1_A1A1_A1A1_A1A1, 0xA2A2_A2A2_A2A2_A2A2, 0xA3A3_A3A3_A3A3_A3A3, 0xA4A4_A4A4_A4A4_A4A4))
    static let name = ChunkName(bucket: bucket, name: nameHash, version: 0x0102_0304_0506_0708)
    /// 239.1.2.3:5400
    static let group = GroupAddress(ipv4: 239, 1, 2, 3, port: 5400)
    /// 10 Gbit/s in bytes per second.
    static let rate: UInt64 = 1_250_000_000
    /// 2 ms from 1 000 000 000 ns.
    static let window = RendezvousWindow(start: Instant(nanoseconds: 1_000_000_000), duration: .milliseconds(2), rate: rate)
    static let servers = [NodeID(3), NodeID(5), NodeID(9)]
    static let hello = Payload(copying: Array("hello".utf8))

    static func request(id: RequestID = proposal, _ m: Message) -> Envelope {
        Envelope(kind: .request, id: id, generation: 9, message: m)
    }

    static func response(from server: NodeID, _ m: Message) -> Envelope {
        Envelope(kind: .response, id: RequestID(source: server, sequence: 1000), generation: 9, message: m)
    }

    static let all: [Example] = [
        Example(
            name: "unnamed-put-proposal",
            envelope: request(
                .putProposal(
                    PutProposal(
                        negotiatingGroup: row, contentHash: content, name: nil, chunkLength: 5, deliveryGroup: group,
                        maxDeliveryRate: rate, replicas: 3, consensus: .client, immediate: hello)))),
        Example(
            name: "named-put-proposal",
            envelope: request(
                .putProposal(
                    PutProposal(
                        negotiatingGroup: row, contentHash: content, name: name, chunkLength: 1_048_576,
                        trackingTokensLength: 0, deliveryGroup: group, maxDeliveryRate: rate, replicas: 3,
                        consensus: .cluster)))),
        Example(
            name: "put-accept-proposed-rendezvous",
            envelope: response(
                from: NodeID(3),
                .putAccept(PutAccept(proposal: proposal, negotiatingGroup: row, answer: .proposedRendezvous(window))))),
        Example(
            name: "put-accept-already-stored",
            envelope: response(
                from: NodeID(5), .putAccept(PutAccept(proposal: proposal, negotiatingGroup: row, answer: .alreadyStored)))),
        Example(
            name: "put-accept-not-now",
            envelope: response(
                from: NodeID(9),
                .putAccept(
                    PutAccept(
                        proposal: proposal, negotiatingGroup: row,
                        answer: .notNow(earliestRetry: Instant(nanoseconds: 1_005_000_000)))))),
        Example(
            name: "consensus-put-accept",
            envelope: response(
                from: NodeID(3),
                .consensusPutAccept(
                    ConsensusPutAccept(
                        proposal: proposal, negotiatingGroup: row, members: [NodeID(3), NodeID(9)],
                        alreadyStored: [NodeID(5)], window: window)))),
        Example(
            name: "rendezvous-transfer",
            envelope: Envelope(
                kind: .notification, id: RequestID(source: client, sequence: 42, subsequence: 1), generation: 9,
                message: .rendezvousTransfer(
                    RendezvousTransfer(
                        request: proposal, deliveryGroup: group, members: [NodeID(3), NodeID(9)], rate: rate,
                        contentHash: content, content: hello)))),
        Example(
            name: "rendezvous-transfer-arbitrary-chunk-id",
            envelope: Envelope(
                kind: .notification, id: RequestID(source: client, sequence: 42, subsequence: 1), generation: 9,
                message: .rendezvousTransfer(
                    RendezvousTransfer(
                        request: proposal, deliveryGroup: group, members: [NodeID(3)], rate: rate,
                        contentHash: content, arbitraryChunkID: other, offset: 2, trackingTokensLength: 1,
                        content: Payload(copying: Array("!llo".utf8)))))),
        Example(
            name: "rendezvous-transfer-fragmented",
            envelope: Envelope(
                kind: .notification, id: RequestID(source: client, sequence: 42, subsequence: 2), generation: 9,
                message: .rendezvousTransfer(
                    RendezvousTransfer(
                        request: proposal, deliveryGroup: group, members: [NodeID(3), NodeID(9)], rate: rate,
                        contentHash: content, content: Payload(copying: (0..<40).map { UInt8($0) })))),
            maxDatagramSize: 44 + 96),
        Example(
            name: "unnamed-payload-ack",
            envelope: response(from: NodeID(3), .payloadAck(PayloadAck(proposal: proposal, contentHash: content)))),
        Example(
            name: "named-payload-ack",
            envelope: response(
                from: NodeID(3), .payloadAck(PayloadAck(proposal: proposal, contentHash: content, name: name)))),
        Example(
            name: "payload-nak",
            envelope: response(
                from: NodeID(9), .payloadNak(PayloadNak(proposal: proposal, contentHash: content, code: .hashMismatch)))),
        Example(
            name: "relayed-ack",
            envelope: Envelope(
                kind: .notification, id: RequestID(source: client, sequence: 42, subsequence: 3), generation: 9,
                message: .relayedAck(
                    RelayedAck(proposal: proposal, negotiatingGroup: row, contentHash: content, storedOn: servers)))),
        Example(
            name: "consensus-ack",
            envelope: response(
                from: NodeID(3), .consensusAck(ConsensusAck(proposal: proposal, contentHash: content, storedOn: servers)))),
        Example(
            name: "unnamed-get-request",
            envelope: request(
                id: get,
                .getRequest(
                    GetRequest(
                        negotiatingGroup: row, target: .content(content), deliveryGroup: group, maxImmediate: 1024,
                        consensus: .client, receptionWindows: [window])))),
        Example(
            name: "named-get-request",
            envelope: request(
                id: get,
                .getRequest(
                    GetRequest(
                        negotiatingGroup: row, target: .named(bucket: bucket, name: nameHash, versions: 0...UInt64.max),
                        deliveryGroup: group, maxImmediate: 0, maxDelegatedGets: 2, consensus: .cluster,
                        receptionWindows: [])))),
        Example(
            name: "unnamed-get-response",
            envelope: response(
                from: NodeID(5),
                .getResponse(
                    GetResponse(
                        request: get, negotiatingGroup: row, deliveryGroup: group,
                        responseTime: Instant(nanoseconds: 1_000_000_000), server: NodeID(5), contentHash: content,
                        rate: rate, contentLength: 5, immediate: hello)))),
        Example(
            name: "named-get-response",
            envelope: response(
                from: NodeID(5),
                .getResponse(
                    GetResponse(
                        request: get, negotiatingGroup: row, deliveryGroup: group,
                        responseTime: Instant(nanoseconds: 1_000_000_000), server: NodeID(5), contentHash: content,
                        name: name, rate: rate, contentLength: 1_048_576)))),
        Example(
            name: "get-accept",
            envelope: Envelope(
                kind: .notification, id: RequestID(source: client, sequence: 43, subsequence: 2), generation: 9,
                message: .getAccept(GetAccept(request: get, negotiatingGroup: row, server: NodeID(5), window: window)))),
        Example(
            name: "additional-target-request",
            envelope: Envelope(
                kind: .notification, id: RequestID(source: NodeID(9), sequence: 7), generation: 9,
                message: .additionalTargetRequest(
                    AdditionalTargetRequest(request: get, negotiatingGroup: row, deliveryGroup: group, contentHash: content)))),
        Example(
            name: "error-get-response",
            envelope: response(
                from: NodeID(3),
                .errorGetResponse(ErrorGetResponse(request: get, negotiatingGroup: row, deliveryGroup: group, code: .notFound)))),
        Example(
            name: "content-not-immediately-available",
            envelope: response(
                from: NodeID(3),
                .contentNotImmediatelyAvailable(
                    ContentNotImmediatelyAvailable(
                        request: get, negotiatingGroup: row, availableAt: Instant(nanoseconds: 2_000_000_000))))),
        Example(
            name: "transfer-abort",
            envelope: Envelope(
                kind: .notification, id: RequestID(source: client, sequence: 42, subsequence: 4), generation: 9,
                message: .transferAbort(TransferAbort(request: proposal, deliveryGroup: group, reason: .cancelled)))),
        Example(
            name: "stale-generation",
            envelope: Envelope(
                kind: .notification, id: RequestID(source: NodeID(3), sequence: 1001), generation: 10,
                message: .staleGeneration(StaleGeneration(request: proposal, currentGeneration: 10)))),
        Example(
            name: "heartbeat",
            envelope: Envelope(
                kind: .notification, id: RequestID(source: NodeID(3), sequence: 2000), generation: 9,
                message: .heartbeat(
                    Heartbeat(
                        incarnation: 2, sentAt: Instant(nanoseconds: 1_000_000_000),
                        echoes: [
                            Heartbeat.Echo(peer: NodeID(5), sentAt: Instant(nanoseconds: 999_800_000), hold: .microseconds(150)),
                            Heartbeat.Echo(peer: NodeID(9), sentAt: Instant(nanoseconds: 999_900_000), hold: .microseconds(50)),
                        ])))),
        Example(
            name: "membership-query",
            envelope: request(
                id: membershipQuery,
                .membershipQuery(MembershipQuery(responder: NodeID(5), sentAt: Instant(nanoseconds: 1_000_000_000))))),
        Example(
            name: "membership-view",
            envelope: response(
                from: NodeID(5),
                .membershipView(
                    MembershipView(
                        request: membershipQuery, incarnation: 7, echoedSentAt: Instant(nanoseconds: 1_000_000_000),
                        hold: .microseconds(20), down: [MembershipView.Down(node: NodeID(9), incarnation: 3)])))),
    ]
}
