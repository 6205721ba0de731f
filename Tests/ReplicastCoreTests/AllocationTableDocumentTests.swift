#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
@testable import ReplicastCore
import ReplicastWire
import Testing

/// docs/PROTOCOL.md § 8: the examples of § 8.7 are what `AllocationTable` and
/// `RendezvousGroupPool` compute, and the rules of § 8.2-8.5, implemented here as written,
/// give the same tables as the code for random memberships.
@Suite("Allocation table: docs/PROTOCOL.md § 8")
struct AllocationTableDocumentTests {
    struct BadExample: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    /// The configuration of the `table-configuration` example: every key of the cluster
    /// file's `table` section, each exactly once.
    static func configuration(_ doc: CoreProtocolDocument) throws -> TableConfiguration {
        let keys = [
            "rowCount", "k", "minimumGroupSize", "associatesPerRow", "port", "rendezvousPoolSize",
            "networks[0].negotiatingBase", "networks[0].notificationBase", "networks[0].rendezvousBase",
        ]
        var values: [String: String] = [:]
        for r in try doc.table("table-configuration").records {
            guard let key = r["key"], let value = r["value"] else { throw BadExample("table-configuration: row without key or value") }
            guard keys.contains(key) else { throw BadExample("table-configuration: unknown key \(key)") }
            guard values.updateValue(value, forKey: key) == nil else { throw BadExample("table-configuration: \(key) twice") }
        }
        func int(_ key: String) throws -> Int {
            guard let v = CoreProtocolDocument.number(values[key], as: Int.self) else { throw BadExample("table-configuration: \(key) missing or not a number") }
            return v
        }
        func text(_ key: String) throws -> String {
            guard let v = values[key] else { throw BadExample("table-configuration: \(key) missing") }
            return v
        }
        return TableConfiguration(
            rowCount: UInt32(try int("rowCount")), k: try int("k"), minimumGroupSize: try int("minimumGroupSize"),
            associatesPerRow: try int("associatesPerRow"),
            networks: [
                NetworkConfiguration(
                    negotiatingBase: try text("networks[0].negotiatingBase"),
                    notificationBase: try text("networks[0].notificationBase"),
                    rendezvousBase: try text("networks[0].rendezvousBase"))
            ],
            port: UInt16(try int("port")), rendezvousPoolSize: UInt32(try int("rendezvousPoolSize")))
    }

    /// The membership of the `table-servers` example.
    static func servers(_ doc: CoreProtocolDocument) throws -> [ServerInfo] {
        try doc.table("table-servers").records.map { r in
            guard let id = CoreProtocolDocument.number(r["server"], as: UInt32.self), let zone = r["zone"], !zone.isEmpty else {
                throw BadExample("table-servers: bad row \(r)")
            }
            return ServerInfo(id: NodeID(id), zone: zone, endpoints: ["10.0.0.\(id):7077"])
        }
    }

    static func table(_ doc: CoreProtocolDocument) throws -> AllocationTable {
        try AllocationTable(servers: try servers(doc), configuration: try configuration(doc), generation: 1)
    }

    static func hash(_ cell: String?, in table: String) throws -> HashID {
        guard let cell, let h = HashID(hex: cell) else { throw BadExample("\(table): '\(cell ?? "")' is not 64 hex digits") }
        return h
    }

    @Test func documentParsesCleanly() throws {
        let doc = try CoreProtocolDocument.load()
        #expect(doc.problems.isEmpty, "\(doc.problems)")
        for name in [
            "table-configuration", "table-servers", "table-designated-count", "table-rows", "table-scores", "table-names",
            "table-rendezvous-groups",
        ] {
            #expect(!(doc.tables[name]?.rows.isEmpty ?? true), "table \(name) missing or empty")
        }
    }

    /// Hash → row → Negotiating Group and notification addresses → designated members and
    /// associates.
    @Test func rowsOfHashes() throws {
        let doc = try CoreProtocolDocument.load()
        let table = try Self.table(doc)
        for r in try doc.table("table-rows").records {
            let hash = try Self.hash(r["hash"], in: "table-rows")
            let id = table.rowID(for: hash)
            #expect(CoreProtocolDocument.number(r["row"], as: UInt32.self) == id.rawValue, "row of \(hash.hex)")
            let row = try #require(table.row(id))
            #expect(row.addresses.negotiating.map(\.description) == [r["negotiating group"] ?? ""], "negotiating group of row \(id.rawValue)")
            #expect(row.addresses.notification.map(\.description) == [r["notification address"] ?? ""], "notification address of row \(id.rawValue)")
            #expect(CoreProtocolDocument.numbers(r["designated"]) == row.designated.map(\.rawValue), "designated members of row \(id.rawValue)")
            #expect(CoreProtocolDocument.numbers(r["associates"]) == row.associates.map(\.rawValue), "associates of row \(id.rawValue)")
        }
    }

    /// The designated group size D for the cluster sizes of the example.
    @Test func designatedCounts() throws {
        let doc = try CoreProtocolDocument.load()
        for r in try doc.table("table-designated-count").records {
            let n = try #require(CoreProtocolDocument.number(r["servers N"], as: Int.self))
            let k = try #require(CoreProtocolDocument.number(r["k"], as: Int.self))
            let minimum = try #require(CoreProtocolDocument.number(r["minimumGroupSize"], as: Int.self))
            #expect(
                CoreProtocolDocument.number(r["designated D"], as: Int.self)
                    == AllocationTable.designatedGroupSize(servers: n, k: k, minimum: minimum), "N = \(n), k = \(k)")
        }
    }

    @Test func scores() throws {
        let doc = try CoreProtocolDocument.load()
        for r in try doc.table("table-scores").records {
            let row = try #require(CoreProtocolDocument.number(r["row"], as: UInt32.self))
            let server = try #require(CoreProtocolDocument.number(r["server"], as: UInt32.self))
            let score = try #require(r["score"].flatMap { UInt64($0, radix: 16) }, "score of \(server) in \(row)")
            #expect(RendezvousHash.score(row: row, server: server) == score, "score of server \(server) in row \(row)")
        }
    }

    /// Name → SHA-256 of its UTF-8 bytes → row.
    @Test func namesToRows() throws {
        let doc = try CoreProtocolDocument.load()
        let table = try Self.table(doc)
        for r in try doc.table("table-names").records {
            let name = try #require(r["name"])
            let hash = ContentHash.ofName(name)
            #expect(hash.hex == r["SHA-256 of the UTF-8 name"], "hash of \(name)")
            #expect(CoreProtocolDocument.number(r["row"], as: UInt32.self) == table.rowID(for: hash).rawValue, "row of \(name)")
        }
    }

    /// Client and sequence → start and offset (as § 8.5 computes them) → Rendezvous Group.
    @Test func rendezvousGroups() throws {
        let doc = try CoreProtocolDocument.load()
        let configuration = try Self.configuration(doc)
        let pool = try Self.table(doc).rendezvousPools[0]
        let base = try #require(GroupAddress("\(configuration.networks[0].rendezvousBase):0")?.ipv4)
        for r in try doc.table("table-rendezvous-groups").records {
            let client = try #require(r["client"].flatMap { UInt32($0, radix: 16) })
            let sequence = try #require(CoreProtocolDocument.number(r["sequence"], as: UInt32.self))
            let start = UInt32(truncatingIfNeeded: RendezvousHash.mix(UInt64(client)))
            #expect(r["start"].flatMap { UInt32($0, radix: 16) } == start, "start of client \(client)")
            let offset = (start &+ sequence) % configuration.rendezvousPoolSize
            #expect(CoreProtocolDocument.number(r["offset"], as: UInt32.self) == offset, "offset of \(client)#\(sequence)")
            let group = pool.group(client: NodeID(client), sequence: sequence)
            #expect(group.description == r["rendezvous group"], "group of \(client)#\(sequence)")
            #expect(group.ipv4 == base + offset && group.port == configuration.port)
        }
    }

    // MARK: - The rules of § 8, as written

    /// § 8.4's score, written out: SplitMix64's finaliser twice.
    static func documentedScore(row: UInt32, server: UInt32) -> UInt64 {
        func mix(_ v: UInt64) -> UInt64 {
            var z = v
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        return mix(mix((UInt64(row) << 32 | UInt64(server)) &+ 0x9E37_79B9_7F4A_7C15))
    }

    /// § 8.2: ⌊P × R / 2⁶⁴⌋ of the first 8 bytes, big-endian.
    static func documentedRow(_ hash: HashID, rows: UInt32) -> UInt32 {
        let p = hash.bytes.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return UInt32(p.multipliedFullWidth(by: UInt64(rows)).high)
    }

    /// § 8.4: D, A, then designated members (greedy under the zone cap, then filled) and
    /// associates, each by descending score.
    static func documentedMembers(
        row: UInt32, servers: [(id: UInt32, zone: String)], k: Int, minimum: Int, associatesPerRow: Int
    ) -> (designated: [UInt32], associates: [UInt32], filled: Bool) {
        let n = servers.count
        let d = min(n, max(minimum, Int((Double(k) * log10(Double(n))).rounded(.toNearestOrAwayFromZero))))
        let a = min(associatesPerRow, n - d)
        let zones = Set(servers.map(\.zone)).count
        let cap = (d + zones - 1) / zones
        let ranked = servers.sorted { documentedScore(row: row, server: $0.id) > documentedScore(row: row, server: $1.id) }
        var designated: [UInt32] = []
        var perZone: [String: Int] = [:]
        for s in ranked where designated.count < d && perZone[s.zone, default: 0] < cap {
            designated.append(s.id)
            perZone[s.zone, default: 0] += 1
        }
        let filled = designated.count < d
        if filled {
            for s in ranked where designated.count < d && !designated.contains(s.id) { designated.append(s.id) }
            designated.sort { documentedScore(row: row, server: $0) > documentedScore(row: row, server: $1) }
        }
        let associates = ranked.map(\.id).filter { !designated.contains($0) }.prefix(a)
        return (designated, Array(associates), filled)
    }

    @Test func documentedRulesMatchTheCode() throws {
        var rng = SeededGenerator(seed: 0x8_2026)
        var filledRows = 0
        for round in 0..<60 {
            let n = Int.random(in: 1...40, using: &rng)
            let zoneCount = Int.random(in: 1...5, using: &rng)
            // Uneven zones (some with a single server), so the zone cap sometimes leaves rows short.
            let servers = (0..<n).map { i -> (id: UInt32, zone: String) in
                let zone = i == 0 || Bool.random(using: &rng) ? "z\(i % zoneCount)" : "z0"
                return (UInt32.random(in: 1..<0x8000_0000, using: &rng), zone)
            }
            guard Set(servers.map(\.id)).count == n else { continue }
            let configuration = TableConfiguration(
                rowCount: UInt32.random(in: 1...300, using: &rng), k: Int.random(in: 1...8, using: &rng),
                minimumGroupSize: Int.random(in: 1...6, using: &rng), associatesPerRow: Int.random(in: 0...3, using: &rng),
                rendezvousPoolSize: UInt32.random(in: 1...5000, using: &rng))
            let table = try AllocationTable(
                servers: servers.map { ServerInfo(id: NodeID($0.id), zone: $0.zone, endpoints: ["10.0.0.1:7077"]) },
                configuration: configuration)
            for r in 0..<configuration.rowCount {
                let row = try #require(table.row(RowID(r)))
                let expected = Self.documentedMembers(
                    row: r, servers: servers, k: configuration.k, minimum: configuration.minimumGroupSize,
                    associatesPerRow: configuration.associatesPerRow)
                if expected.filled { filledRows += 1 }
                #expect(row.designated.map(\.rawValue) == expected.designated, "round \(round), row \(r): designated")
                #expect(row.associates.map(\.rawValue) == expected.associates, "round \(round), row \(r): associates")
                #expect(RendezvousHash.score(row: r, server: servers[0].id) == Self.documentedScore(row: r, server: servers[0].id))
                let negotiating = try #require(GroupAddress("239.77.0.0:0")?.ipv4) + r
                #expect(row.addresses.negotiating.first?.ipv4 == negotiating && row.addresses.negotiating.first?.port == 7077)
            }
            for _ in 0..<50 {
                let hash = HashID(words: (rng.next(), rng.next(), rng.next(), rng.next()))
                #expect(table.rowID(for: hash).rawValue == Self.documentedRow(hash, rows: configuration.rowCount))
                let client = UInt32.random(in: 0x8000_0000...UInt32.max, using: &rng)
                let sequence = UInt32.random(in: 0...UInt32.max, using: &rng)
                let start = UInt32(truncatingIfNeeded: Self.documentedScoreMix(UInt64(client)))
                let offset = (start &+ sequence) % configuration.rendezvousPoolSize
                let group = table.rendezvousPools[0].group(client: NodeID(client), sequence: sequence)
                #expect(group.ipv4 == (try #require(GroupAddress("239.78.0.0:0")?.ipv4)) + offset && group.port == 7077)
            }
        }
        #expect(filledRows > 0, "no row needed step 2 (the zone cap never left a row short)")
    }

    /// § 8.5's start uses § 8.4's `mix` once, on the client id.
    static func documentedScoreMix(_ v: UInt64) -> UInt64 {
        var z = v
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// § 8.4: the C library's log10 gives the same D as the table's own series (K × log10(N)
    /// is never close to a half-integer).
    @Test func anyAccurateLogarithmGivesTheSameGroupSize() {
        var mismatches: [String] = []
        for n in 1...10_000 {
            let x = log10(Double(n))
            for k in 1...64 {
                let documented = min(n, Int((Double(k) * x).rounded(.toNearestOrAwayFromZero)))
                if AllocationTable.designatedGroupSize(servers: n, k: k, minimum: 1) != max(1, documented) {
                    mismatches.append("N \(n) K \(k)")
                }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10))")
    }
}
