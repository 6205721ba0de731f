// Metadata encodings of the put transaction's messages (docs/PROTOCOL.md, 0x10-0x1C).
// Each `encode` writes the metadata fields in wire order; each `init(wire:)` reads them back
// and is handed the bulk payload that followed the metadata.

extension PutProposal {
    /// Unnamed (0x10) or Named (0x11) Put Proposal.
    var wireType: MessageType { name == nil ? .unnamedPutProposal : .namedPutProposal }

    func encode(to w: inout WireWriter) {
        w.row(negotiatingGroup)
        w.hash(contentHash)
        if let name { w.chunkName(name) }
        w.u64(chunkLength)
        w.u32(trackingTokensLength)
        w.group(deliveryGroup)
        w.u64(maxDeliveryRate)
        w.u8(replicas)
        w.u8(consensus.rawValue)
    }

    init(wire r: inout WireReader, named: Bool, immediate: Payload) throws(WireError) {
        let negotiatingGroup = try r.row()
        let contentHash = try r.hash()
        let name = named ? try r.chunkName() : nil
        self.init(
            negotiatingGroup: negotiatingGroup, contentHash: contentHash, name: name,
            chunkLength: try r.u64(), trackingTokensLength: try r.u32(), deliveryGroup: try r.group(),
            maxDeliveryRate: try r.u64(), replicas: try r.u8(), consensus: try r.consensus(),
            immediate: immediate)
    }
}

extension PutAccept {
    /// One code per answer: 0x12 Proposed Rendezvous, 0x13 Already Stored, 0x14 Not Now.
    var wireType: MessageType {
        switch answer {
        case .proposedRendezvous: .putAcceptProposedRendezvous
        case .alreadyStored: .putAcceptAlreadyStored
        case .notNow: .putAcceptNotNow
        }
    }

    func encode(to w: inout WireWriter) throws(WireError) {
        w.requestID(proposal)
        w.row(negotiatingGroup)
        switch answer {
        case .proposedRendezvous(let window): try w.window(window)
        case .alreadyStored: break
        case .notNow(let earliestRetry): w.instant(earliestRetry)
        }
    }

    init(wire r: inout WireReader, type: MessageType) throws(WireError) {
        let proposal = try r.requestID()
        let negotiatingGroup = try r.row()
        let answer: Answer
        switch type {
        case .putAcceptProposedRendezvous: answer = .proposedRendezvous(try r.window())
        case .putAcceptNotNow: answer = .notNow(earliestRetry: try r.instant())
        default: answer = .alreadyStored
        }
        self.init(proposal: proposal, negotiatingGroup: negotiatingGroup, answer: answer)
    }
}

extension ConsensusPutAccept {
    func encode(to w: inout WireWriter) throws(WireError) {
        w.requestID(proposal)
        w.row(negotiatingGroup)
        try w.window(window)
        try w.nodeList(members)
        try w.nodeList(alreadyStored)
    }

    init(wire r: inout WireReader) throws(WireError) {
        let proposal = try r.requestID()
        let negotiatingGroup = try r.row()
        let window = try r.window()
        self.init(
            proposal: proposal, negotiatingGroup: negotiatingGroup, members: try r.nodeList(),
            alreadyStored: try r.nodeList(), window: window)
    }
}

extension RendezvousTransfer {
    /// 0x16, or 0x17 when an Arbitrary Chunk ID is present.
    var wireType: MessageType {
        arbitraryChunkID == nil ? .rendezvousTransfer : .rendezvousTransferArbitraryChunkID
    }

    func encode(to w: inout WireWriter) throws(WireError) {
        w.requestID(request)
        w.group(deliveryGroup)
        w.u64(rate)
        w.hash(contentHash)
        if let arbitraryChunkID { w.hash(arbitraryChunkID) }
        w.u64(offset)
        w.u32(trackingTokensLength)
        try w.nodeList(members)
    }

    init(wire r: inout WireReader, arbitrary: Bool, content: Payload) throws(WireError) {
        let request = try r.requestID()
        let deliveryGroup = try r.group()
        let rate = try r.u64()
        let contentHash = try r.hash()
        let arbitraryChunkID = arbitrary ? try r.hash() : nil
        let offset = try r.u64()
        let trackingTokensLength = try r.u32()
        self.init(
            request: request, deliveryGroup: deliveryGroup, members: try r.nodeList(), rate: rate,
            contentHash: contentHash, arbitraryChunkID: arbitraryChunkID, offset: offset,
            trackingTokensLength: trackingTokensLength, content: content)
    }
}

extension PayloadAck {
    /// Unnamed (0x18) or Named (0x19) Payload ACK.
    var wireType: MessageType { name == nil ? .unnamedPayloadAck : .namedPayloadAck }

    func encode(to w: inout WireWriter) {
        w.requestID(proposal)
        w.hash(contentHash)
        if let name { w.chunkName(name) }
    }

    init(wire r: inout WireReader, named: Bool) throws(WireError) {
        let proposal = try r.requestID()
        let contentHash = try r.hash()
        self.init(proposal: proposal, contentHash: contentHash, name: named ? try r.chunkName() : nil)
    }
}

extension PayloadNak {
    func encode(to w: inout WireWriter) {
        w.requestID(proposal)
        w.hash(contentHash)
        w.u16(code.rawValue)
    }

    init(wire r: inout WireReader) throws(WireError) {
        let proposal = try r.requestID()
        let contentHash = try r.hash()
        guard let code = NakCode(rawValue: try r.u16()) else { throw .invalidField }
        self.init(proposal: proposal, contentHash: contentHash, code: code)
    }
}

extension RelayedAck {
    func encode(to w: inout WireWriter) throws(WireError) {
        w.requestID(proposal)
        w.row(negotiatingGroup)
        w.hash(contentHash)
        try w.nodeList(storedOn)
    }

    init(wire r: inout WireReader) throws(WireError) {
        self.init(
            proposal: try r.requestID(), negotiatingGroup: try r.row(), contentHash: try r.hash(),
            storedOn: try r.nodeList())
    }
}

extension ConsensusAck {
    func encode(to w: inout WireWriter) throws(WireError) {
        w.requestID(proposal)
        w.hash(contentHash)
        try w.nodeList(storedOn)
    }

    init(wire r: inout WireReader) throws(WireError) {
        self.init(proposal: try r.requestID(), contentHash: try r.hash(), storedOn: try r.nodeList())
    }
}
