// Metadata encodings of the control notices (docs/PROTOCOL.md, 0x30-0x31).

extension TransferAbort {
    func encode(to w: inout WireWriter) {
        w.requestID(request)
        w.group(deliveryGroup)
        w.u16(reason.rawValue)
    }

    init(wire r: inout WireReader) throws(WireError) {
        let request = try r.requestID()
        let deliveryGroup = try r.group()
        guard let reason = AbortReason(rawValue: try r.u16()) else { throw .invalidField }
        self.init(request: request, deliveryGroup: deliveryGroup, reason: reason)
    }
}

extension StaleGeneration {
    func encode(to w: inout WireWriter) {
        w.requestID(request)
        w.u32(currentGeneration)
    }

    init(wire r: inout WireReader) throws(WireError) {
        self.init(request: try r.requestID(), currentGeneration: try r.u32())
    }
}
