#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The examples of docs/PROTOCOL.md that concern the protocol core (the table, the version
/// manifest, the rendezvous policy), read at test time so the document and the code cannot
/// drift apart. (The datagram examples are `ReplicastWireTests`' business.)
///
/// - A **hex block** is a fenced code block whose info string is `hex KIND:NAME` with a KIND
///   other than `golden` (those are the wire examples). In it `#` starts a comment; every
///   other token is an even number of hex digits. Keyed `KIND:NAME`.
/// - A **table** is the Markdown table that follows a line `<!-- golden:NAME -->` (blank lines
///   may come between). Its first line is the header, its second the separator; cells are
///   trimmed and a cell wrapped in backticks is unwrapped. Keyed `NAME`.
struct CoreProtocolDocument {
    struct Table {
        var header: [String]
        var rows: [[String]]

        /// The rows as dictionaries from header to cell.
        var records: [[String: String]] {
            rows.map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
        }
    }

    var hexBlocks: [String: [UInt8]] = [:]
    var tables: [String: Table] = [:]
    /// Malformed tokens, duplicate names, ragged tables.
    var problems: [String] = []

    /// docs/PROTOCOL.md, found from this file's path.
    static let path: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/ReplicastCoreTests/CoreProtocolDocument.swift
        return parts.joined(separator: "/") + "/docs/PROTOCOL.md"
    }()

    struct DocumentMissing: Error { var path: String }
    struct ExampleMissing: Error, CustomStringConvertible {
        var name: String
        var description: String { "docs/PROTOCOL.md has no example \(name)" }
    }

    /// Reads and parses docs/PROTOCOL.md.
    static func load() throws -> CoreProtocolDocument {
        guard let file = fopen(path, "r") else { throw DocumentMissing(path: path) }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        return CoreProtocolDocument(text: String(decoding: bytes, as: UTF8.self))
    }

    /// The table `name`, or an error naming it.
    func table(_ name: String) throws -> Table {
        guard let t = tables[name] else { throw ExampleMissing(name: "table golden:\(name)") }
        return t
    }

    /// The hex block `key` (`KIND:NAME`), or an error naming it.
    func hex(_ key: String) throws -> [UInt8] {
        guard let b = hexBlocks[key] else { throw ExampleMissing(name: "block hex \(key)") }
        return b
    }

    init(text: String) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var i = 0
        while i < lines.count {
            let line = Self.trim(lines[i])
            if line.hasPrefix("```hex "), !line.hasPrefix("```hex golden:") {
                let key = Self.trim(String(line.dropFirst("```hex ".count)))
                var bytes: [UInt8] = []
                i += 1
                var closed = false
                while i < lines.count {
                    let l = Self.trim(lines[i])
                    if l.hasPrefix("```") {
                        closed = true
                        break
                    }
                    let code = l.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
                    for token in code.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
                        if let b = Self.hexBytes(token) { bytes += b } else { problems.append("\(key): bad hex token '\(token)'") }
                    }
                    i += 1
                }
                if !closed { problems.append("unterminated block \(key)") }
                if hexBlocks[key] != nil { problems.append("duplicate block \(key)") }
                hexBlocks[key] = bytes
            } else if line.hasPrefix("<!-- golden:"), line.hasSuffix("-->") {
                let name = Self.trim(String(line.dropFirst("<!-- golden:".count).dropLast(3)))
                i += 1
                while i < lines.count && Self.trim(lines[i]).isEmpty { i += 1 }
                var tableLines: [String] = []
                while i < lines.count && Self.trim(lines[i]).hasPrefix("|") {
                    tableLines.append(Self.trim(lines[i]))
                    i += 1
                }
                if tables[name] != nil { problems.append("duplicate table \(name)") }
                guard tableLines.count >= 2 else {
                    problems.append("table \(name): no table after its marker")
                    continue
                }
                let header = Self.cells(tableLines[0])
                var rows: [[String]] = []
                for l in tableLines.dropFirst(2) {
                    let c = Self.cells(l)
                    if c.count != header.count { problems.append("table \(name): row '\(l)' has \(c.count) cells, not \(header.count)") }
                    rows.append(c)
                }
                tables[name] = Table(header: header, rows: rows)
                continue
            }
            i += 1
        }
    }

    /// The cells of a table line `| a | b |`, trimmed, backticks unwrapped; empty cells kept.
    static func cells(_ line: String) -> [String] {
        var parts = line.split(separator: "|", omittingEmptySubsequences: false).map { trim(String($0)) }
        if parts.first == "" { parts.removeFirst() }
        if parts.last == "" { parts.removeLast() }
        return parts.map { $0.count >= 2 && $0.hasPrefix("`") && $0.hasSuffix("`") ? String($0.dropFirst().dropLast()) : $0 }
    }

    static func trim(_ s: String) -> String {
        String(s.drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }

    static func hexBytes<S: StringProtocol>(_ token: S) -> [UInt8]? {
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

    /// A decimal number as the document writes it (spaces between digit groups allowed).
    static func number<T: FixedWidthInteger>(_ cell: String?, as: T.Type = T.self) -> T? {
        guard let cell else { return nil }
        return T(cell.filter { $0 != " " && $0 != "\u{202F}" && $0 != "_" })
    }

    /// A comma-separated list of decimal numbers ("5, 4, 1"); empty for an empty cell.
    static func numbers(_ cell: String?) -> [UInt32]? {
        guard let cell else { return nil }
        if trim(cell).isEmpty { return [] }
        var out: [UInt32] = []
        for part in cell.split(separator: ",") {
            guard let n = UInt32(trim(String(part))) else { return nil }
            out.append(n)
        }
        return out
    }
}
