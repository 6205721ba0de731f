import ReplicastWire

/// The metadata fields of each message type in wire order, as docs/PROTOCOL.md's tables list
/// them; used to lay the golden examples out field by field.
enum FieldLayout {
    enum Field {
        /// A fixed-size field.
        case fixed(String, Int)
        /// A 2-byte count followed by that many elements of `elementSize` bytes.
        case list(String, elementSize: Int)
    }

    static let requestID: [Field] = [.fixed("source", 4), .fixed("sequence", 4), .fixed("sub-sequence", 2)]
    static let group: [Field] = [.fixed("group address", 16), .fixed("group port", 2)]
    static let window: [Field] = [.fixed("window start", 8), .fixed("window duration", 8), .fixed("window rate", 8)]
    static let name: [Field] = [.fixed("bucket hash", 32), .fixed("name hash", 32), .fixed("version", 8)]

    static func prefixed(_ prefix: String, _ fields: [Field]) -> [Field] {
        fields.map {
            if case .fixed(let n, let s) = $0 { return .fixed("\(prefix) \(n)", s) }
            return $0
        }
    }

    static func fields(_ type: MessageType) -> [Field] {
        let copy = prefixed("request", requestID)
        switch type {
        case .unnamedPutProposal, .namedPutProposal:
            return [.fixed("negotiating group", 4), .fixed("content hash", 32)]
                + (type == .namedPutProposal ? name : [])
                + [.fixed("chunk length", 8), .fixed("tracking tokens length", 4)] + prefixed("delivery", group)
                + [.fixed("max delivery rate", 8), .fixed("replicas", 1), .fixed("consensus", 1)]
        case .putAcceptProposedRendezvous:
            return copy + [.fixed("negotiating group", 4)] + window
        case .putAcceptAlreadyStored:
            return copy + [.fixed("negotiating group", 4)]
        case .putAcceptNotNow:
            return copy + [.fixed("negotiating group", 4), .fixed("earliest retry", 8)]
        case .consensusPutAccept:
            return copy + [.fixed("negotiating group", 4)] + window
                + [.list("members", elementSize: 4), .list("already stored", elementSize: 4)]
        case .rendezvousTransfer, .rendezvousTransferArbitraryChunkID:
            return copy + prefixed("delivery", group) + [.fixed("rate", 8), .fixed("content hash", 32)]
                + (type == .rendezvousTransferArbitraryChunkID ? [.fixed("arbitrary chunk id", 32)] : [])
                + [.fixed("offset", 8), .fixed("tracking tokens length", 4), .list("members", elementSize: 4)]
        case .unnamedPayloadAck, .namedPayloadAck:
            return copy + [.fixed("content hash", 32)] + (type == .namedPayloadAck ? name : [])
        case .payloadNak:
            return copy + [.fixed("content hash", 32), .fixed("NAK code", 2)]
        case .relayedAck:
            return copy + [.fixed("negotiating group", 4), .fixed("content hash", 32), .list("stored on", elementSize: 4)]
        case .consensusAck:
            return copy + [.fixed("content hash", 32), .list("stored on", elementSize: 4)]
        case .unnamedGetRequest, .namedGetRequest:
            let target: [Field] =
                type == .namedGetRequest
                ? [.fixed("bucket hash", 32), .fixed("name hash", 32), .fixed("lowest version", 8), .fixed("highest version", 8)]
                : [.fixed("content hash", 32)]
            return [.fixed("negotiating group", 4)] + target + prefixed("delivery", group)
                + [.fixed("max immediate", 4), .fixed("max delegated gets", 2), .fixed("consensus", 1),
                    .list("reception windows", elementSize: 24)]
        case .unnamedGetResponse, .namedGetResponse:
            return copy + [.fixed("negotiating group", 4)] + prefixed("delivery", group)
                + [.fixed("response time", 8), .fixed("server", 4), .fixed("content hash", 32)]
                + (type == .namedGetResponse ? name : []) + [.fixed("rate", 8), .fixed("content length", 8)]
        case .getAccept:
            return copy + [.fixed("negotiating group", 4), .fixed("server", 4)] + window
        case .additionalTargetRequest:
            return copy + [.fixed("negotiating group", 4)] + prefixed("delivery", group) + [.fixed("content hash", 32)]
        case .errorGetResponse:
            return copy + [.fixed("negotiating group", 4)] + prefixed("delivery", group) + [.fixed("error code", 2)]
        case .contentNotImmediatelyAvailable:
            return copy + [.fixed("negotiating group", 4), .fixed("available at", 8)]
        case .transferAbort:
            return copy + prefixed("delivery", group) + [.fixed("reason", 2)]
        case .staleGeneration:
            return copy + [.fixed("current generation", 4)]
        case .heartbeat:
            return [.fixed("incarnation", 8), .fixed("sent at", 8), .list("echoes", elementSize: 20)]
        case .membershipQuery:
            return [.fixed("responder", 4), .fixed("sent at", 8)]
        case .membershipView:
            return copy + [.fixed("incarnation", 8), .fixed("echoed sent at", 8), .fixed("hold", 8),
                .list("down", elementSize: 12)]
        }
    }

    /// The metadata bytes one field per line (`hex  # name`); nil if the fields do not
    /// consume exactly `metadata`.
    static func describe(_ metadata: ArraySlice<UInt8>, type: MessageType) -> [String]? {
        var lines: [String] = []
        var at = metadata.startIndex
        func take(_ n: Int, _ label: String) -> Bool {
            guard n <= metadata.endIndex - at else { return false }
            lines.append(hex(metadata[at..<(at + n)]) + "  # " + label)
            at += n
            return true
        }
        for field in fields(type) {
            switch field {
            case .fixed(let label, let size):
                guard take(size, label) else { return nil }
            case .list(let label, let elementSize):
                guard metadata.endIndex - at >= 2 else { return nil }
                let count = Int(metadata[at]) << 8 | Int(metadata[at + 1])
                guard take(2, "\(label) count") else { return nil }
                for i in 0..<count { guard take(elementSize, "\(label) [\(i)]") else { return nil } }
            }
        }
        return at == metadata.endIndex ? lines : nil
    }

    static func hex(_ bytes: ArraySlice<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
