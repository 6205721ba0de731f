// Metadata encodings of the keep-alive membership messages (docs/PROTOCOL.md, 0x40-0x42).

extension Heartbeat {
    func encode(to w: inout WireWriter) throws(WireError) {
        guard echoes.count <= WireFormat.maxNodeList else { throw .listTooLong }
        w.u64(incarnation)
        w.instant(sentAt)
        w.u16(UInt16(echoes.count))
        for e in echoes {
            w.node(e.peer)
            w.instant(e.sentAt)
            try w.duration(e.hold)
        }
    }

    init(wire r: inout WireReader) throws(WireError) {
        let incarnation = try r.u64()
        let sentAt = try r.instant()
        let n = Int(try r.u16())
        guard n <= WireFormat.maxNodeList else { throw .listTooLong }
        guard r.remaining >= 20 * n else { throw .truncated }
        var echoes: [Echo] = []
        echoes.reserveCapacity(n)
        for _ in 0..<n {
            echoes.append(Echo(peer: try r.node(), sentAt: try r.instant(), hold: try r.duration()))
        }
        self.init(incarnation: incarnation, sentAt: sentAt, echoes: echoes)
    }
}

extension MembershipQuery {
    func encode(to w: inout WireWriter) {
        w.node(responder)
        w.instant(sentAt)
    }

    init(wire r: inout WireReader) throws(WireError) {
        self.init(responder: try r.node(), sentAt: try r.instant())
    }
}

extension MembershipView {
    func encode(to w: inout WireWriter) throws(WireError) {
        guard down.count <= WireFormat.maxNodeList else { throw .listTooLong }
        w.requestID(request)
        w.u64(incarnation)
        w.instant(echoedSentAt)
        try w.duration(hold)
        w.u16(UInt16(down.count))
        for d in down {
            w.node(d.node)
            w.u64(d.incarnation)
        }
    }

    init(wire r: inout WireReader) throws(WireError) {
        let request = try r.requestID()
        let incarnation = try r.u64()
        let echoed = try r.instant()
        let hold = try r.duration()
        let n = Int(try r.u16())
        guard n <= WireFormat.maxNodeList else { throw .listTooLong }
        guard r.remaining >= 12 * n else { throw .truncated }
        var down: [Down] = []
        down.reserveCapacity(n)
        for _ in 0..<n { down.append(Down(node: try r.node(), incarnation: try r.u64())) }
        self.init(request: request, incarnation: incarnation, echoedSentAt: echoed, hold: hold, down: down)
    }
}
