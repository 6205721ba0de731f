// Metadata encodings of the get transaction's messages (docs/PROTOCOL.md, 0x20-0x27).

extension GetRequest {
    /// Unnamed (0x20) or Named (0x21) Get Request.
    var wireType: MessageType {
        if case .content = target { return .unnamedGetRequest }
        return .namedGetRequest
    }

    func encode(to w: inout WireWriter) throws(WireError) {
        w.row(negotiatingGroup)
        switch target {
        case .content(let hash):
            w.hash(hash)
        case .named(let bucket, let name, let versions):
            w.hash(bucket)
            w.hash(name)
            w.u64(versions.lowerBound)
            w.u64(versions.upperBound)
        }
        w.group(deliveryGroup)
        w.u32(maxImmediate)
        w.u16(maxDelegatedGets)
        w.u8(consensus.rawValue)
        try w.windowList(receptionWindows)
    }

    init(wire r: inout WireReader, named: Bool) throws(WireError) {
        let negotiatingGroup = try r.row()
        let target: GetTarget
        if named {
            let bucket = try r.hash()
            let name = try r.hash()
            let low = try r.u64()
            let high = try r.u64()
            guard low <= high else { throw .invalidField }
            target = .named(bucket: bucket, name: name, versions: low...high)
        } else {
            target = .content(try r.hash())
        }
        self.init(
            negotiatingGroup: negotiatingGroup, target: target, deliveryGroup: try r.group(),
            maxImmediate: try r.u32(), maxDelegatedGets: try r.u16(), consensus: try r.consensus(),
            receptionWindows: try r.windowList())
    }
}

extension GetResponse {
    /// Unnamed (0x22) or Named (0x23) Get Response.
    var wireType: MessageType { name == nil ? .unnamedGetResponse : .namedGetResponse }

    func encode(to w: inout WireWriter) {
        w.requestID(request)
        w.row(negotiatingGroup)
        w.group(deliveryGroup)
        w.instant(responseTime)
        w.node(server)
        w.hash(contentHash)
        if let name { w.chunkName(name) }
        w.u64(rate)
        w.u64(contentLength)
    }

    init(wire r: inout WireReader, named: Bool, immediate: Payload) throws(WireError) {
        let request = try r.requestID()
        let negotiatingGroup = try r.row()
        let deliveryGroup = try r.group()
        let responseTime = try r.instant()
        let server = try r.node()
        let contentHash = try r.hash()
        let name = named ? try r.chunkName() : nil
        self.init(
            request: request, negotiatingGroup: negotiatingGroup, deliveryGroup: deliveryGroup,
            responseTime: responseTime, server: server, contentHash: contentHash, name: name,
            rate: try r.u64(), contentLength: try r.u64(), immediate: immediate)
    }
}

extension GetAccept {
    func encode(to w: inout WireWriter) throws(WireError) {
        w.requestID(request)
        w.row(negotiatingGroup)
        w.node(server)
        try w.window(window)
    }

    init(wire r: inout WireReader) throws(WireError) {
        self.init(request: try r.requestID(), negotiatingGroup: try r.row(), server: try r.node(), window: try r.window())
    }
}

extension AdditionalTargetRequest {
    func encode(to w: inout WireWriter) {
        w.requestID(request)
        w.row(negotiatingGroup)
        w.group(deliveryGroup)
        w.hash(contentHash)
    }

    init(wire r: inout WireReader) throws(WireError) {
        self.init(
            request: try r.requestID(), negotiatingGroup: try r.row(), deliveryGroup: try r.group(),
            contentHash: try r.hash())
    }
}

extension ErrorGetResponse {
    func encode(to w: inout WireWriter) {
        w.requestID(request)
        w.row(negotiatingGroup)
        w.group(deliveryGroup)
        w.u16(code.rawValue)
    }

    init(wire r: inout WireReader) throws(WireError) {
        let request = try r.requestID()
        let negotiatingGroup = try r.row()
        let deliveryGroup = try r.group()
        guard let code = GetErrorCode(rawValue: try r.u16()) else { throw .invalidField }
        self.init(request: request, negotiatingGroup: negotiatingGroup, deliveryGroup: deliveryGroup, code: code)
    }
}

extension ContentNotImmediatelyAvailable {
    func encode(to w: inout WireWriter) {
        w.requestID(request)
        w.row(negotiatingGroup)
        w.instant(availableAt)
    }

    init(wire r: inout WireReader) throws(WireError) {
        self.init(request: try r.requestID(), negotiatingGroup: try r.row(), availableAt: try r.instant())
    }
}
