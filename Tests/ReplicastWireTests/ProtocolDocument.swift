import ReplicastWire

/// The hex example blocks of docs/PROTOCOL.md, read at test time so the document and the
/// code cannot drift apart.
///
/// A block is a fenced code block whose info string is `hex golden:NAME`. In it, `#` starts a
/// comment; every other token is an even number of hex digits.
struct ProtocolDocument {
    /// Bytes of each block, by name.
    var blocks: [String: [UInt8]] = [:]
    /// Problems found while parsing (malformed tokens, duplicate names).
    var problems: [String] = []
    /// The layout table of each message type ("### 0xNN" sections): offset and size
    /// columns of every row, as written.
    var layouts: [UInt8: [(offset: String, size: String)]] = [:]

    /// docs/PROTOCOL.md, found from this file's path.
    static let path: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/ReplicastWireTests/ProtocolDocument.swift
        return parts.joined(separator: "/") + "/docs/PROTOCOL.md"
    }()

    init(text: String) {
        var current: String?
        var bytes: [UInt8] = []
        var section: UInt8?
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.trimmingPrefix(while: { $0 == " " })
            if line.hasPrefix("#") && !line.hasPrefix("####") && current == nil {
                section = line.hasPrefix("### 0x") ? UInt8(line.dropFirst(6).prefix(2), radix: 16) : nil
            }
            if let code = section, current == nil, line.hasPrefix("| ") {
                let cells = line.split(separator: "|").map { String($0.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed()) }
                if cells.count >= 2, cells[0] != "offset", !cells[0].hasPrefix("---") {
                    layouts[code, default: []].append((cells[0], cells[1]))
                }
                continue
            }
            if let name = current {
                if line.hasPrefix("```") {
                    if blocks[name] != nil { problems.append("duplicate block \(name)") }
                    blocks[name] = bytes
                    current = nil
                    continue
                }
                let code = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
                for token in code.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
                    guard let decoded = ProtocolDocument.hex(token) else {
                        problems.append("\(name): bad hex token '\(token)'")
                        continue
                    }
                    bytes += decoded
                }
            } else if line.hasPrefix("```hex golden:") {
                current = String(line.dropFirst("```hex golden:".count)).trimmingCharacters(inSpaces: ())
                bytes = []
            }
        }
        if let current { problems.append("unterminated block \(current)") }
    }

    static func hex(_ token: Substring) -> [UInt8]? {
        let digits = Array(token.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        var i = 0
        while i < digits.count {
            guard let b = UInt8(String(decoding: digits[i..<(i + 2)], as: UTF8.self), radix: 16) else { return nil }
            out.append(b)
            i += 2
        }
        return out
    }

    /// A datagram laid out as the document shows it: the header and the metadata field by
    /// field, then the payload 16 bytes per line.
    static func format(_ d: [UInt8], type: MessageType, metadataLength: Int) -> String {
        let h = { (r: Range<Int>) in FieldLayout.hex(d[r]) }
        var lines = [
            "\(h(0..<4)) \(h(4..<5)) \(h(5..<6)) \(h(6..<7)) \(h(7..<8))  # magic, version, header length, type, kind",
            "\(h(8..<12)) \(h(12..<16)) \(h(16..<18)) \(h(18..<20))  # source, sequence, sub-sequence, reserved",
            "\(h(20..<24)) \(h(24..<26)) \(h(26..<28)) \(h(28..<32))  # generation, fragment index, count, offset",
            "\(h(32..<36)) \(h(36..<40)) \(h(40..<44))  # message length, metadata length, CRC-32C",
        ]
        let offset = Int(d[28]) << 24 | Int(d[29]) << 16 | Int(d[30]) << 8 | Int(d[31])
        let metadataEnd = 44 + max(0, min(d.count - 44, metadataLength - offset))
        if metadataEnd > 44 {
            lines.append("# metadata (\(metadataEnd - 44) bytes)")
            lines += FieldLayout.describe(d[44..<metadataEnd], type: type) ?? ["# FIELD LAYOUT MISMATCH"]
        }
        if metadataEnd < d.count {
            lines.append("# payload (\(d.count - metadataEnd) bytes)")
            for start in Swift.stride(from: metadataEnd, to: d.count, by: 16) {
                lines.append(h(start..<min(start + 16, d.count)))
            }
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    fileprivate func trimmingCharacters(inSpaces: ()) -> String {
        String(self.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
