import ReplicastWire

/// One representative message of every wire type, for the codec benchmark: full-size hashes,
/// three-member lists, 64 bytes of immediate content where a type carries payload.
func sampleMessages() -> [Envelope] {
    let client = NodeID(0x8000_0001)
    let id = RequestID(source: client, sequence: 42)
    let row = RowID(7)
    let hash = HashID(words: (0x0123_4567_89AB_CDEF, 1, 2, 3))
    let name = ChunkName(bucket: hash, name: hash, version: 9)
    let group = GroupAddress(ipv4: 239, 1, 2, 3, port: 5400)
    let window = RendezvousWindow(start: Instant(nanoseconds: 1_000_000_000), duration: .milliseconds(2), rate: 1_250_000_000)
    let servers = [NodeID(3), NodeID(5), NodeID(9)]
    let immediate = Payload(copying: [UInt8](repeating: 0xAB, count: 64))
    let messages: [Message] = [
        .putProposal(PutProposal(negotiatingGroup: row, contentHash: hash, name: nil, chunkLength: 64, deliveryGroup: group,
            maxDeliveryRate: 1, replicas: 3, consensus: .client, immediate: immediate)),
        .putProposal(PutProposal(negotiatingGroup: row, contentHash: hash, name: name, chunkLength: 1 << 20, deliveryGroup: group,
            maxDeliveryRate: 1, replicas: 3, consensus: .cluster)),
        .putAccept(PutAccept(proposal: id, negotiatingGroup: row, answer: .proposedRendezvous(window))),
        .putAccept(PutAccept(proposal: id, negotiatingGroup: row, answer: .alreadyStored)),
        .putAccept(PutAccept(proposal: id, negotiatingGroup: row, answer: .notNow(earliestRetry: window.start))),
        .consensusPutAccept(ConsensusPutAccept(proposal: id, negotiatingGroup: row, members: servers, alreadyStored: [], window: window)),
        .rendezvousTransfer(RendezvousTransfer(request: id, deliveryGroup: group, members: servers, rate: 1, contentHash: hash,
            content: immediate)),
        .rendezvousTransfer(RendezvousTransfer(request: id, deliveryGroup: group, members: servers, rate: 1, contentHash: hash,
            arbitraryChunkID: hash, content: immediate)),
        .payloadAck(PayloadAck(proposal: id, contentHash: hash)),
        .payloadAck(PayloadAck(proposal: id, contentHash: hash, name: name)),
        .payloadNak(PayloadNak(proposal: id, contentHash: hash, code: .incomplete)),
        .relayedAck(RelayedAck(proposal: id, negotiatingGroup: row, contentHash: hash, storedOn: servers)),
        .consensusAck(ConsensusAck(proposal: id, contentHash: hash, storedOn: servers)),
        .getRequest(GetRequest(negotiatingGroup: row, target: .content(hash), deliveryGroup: group, maxImmediate: 4096,
            consensus: .client, receptionWindows: [window])),
        .getRequest(GetRequest(negotiatingGroup: row, target: .named(bucket: hash, name: hash, versions: 0...UInt64.max),
            deliveryGroup: group, maxImmediate: 4096, consensus: .client, receptionWindows: [window])),
        .getResponse(GetResponse(request: id, negotiatingGroup: row, deliveryGroup: group, responseTime: window.start,
            server: NodeID(3), contentHash: hash, rate: 1, contentLength: 64, immediate: immediate)),
        .getResponse(GetResponse(request: id, negotiatingGroup: row, deliveryGroup: group, responseTime: window.start,
            server: NodeID(3), contentHash: hash, name: name, rate: 1, contentLength: 1 << 20)),
        .getAccept(GetAccept(request: id, negotiatingGroup: row, server: NodeID(3), window: window)),
        .additionalTargetRequest(AdditionalTargetRequest(request: id, negotiatingGroup: row, deliveryGroup: group, contentHash: hash)),
        .errorGetResponse(ErrorGetResponse(request: id, negotiatingGroup: row, deliveryGroup: group, code: .notFound)),
        .contentNotImmediatelyAvailable(ContentNotImmediatelyAvailable(request: id, negotiatingGroup: row, availableAt: window.start)),
        .transferAbort(TransferAbort(request: id, deliveryGroup: group, reason: .cancelled)),
        .staleGeneration(StaleGeneration(request: id, currentGeneration: 10)),
    ]
    return messages.map { Envelope(kind: .request, id: RequestID(source: NodeID(3), sequence: 1), generation: 9, message: $0) }
}
