import ReplicastCore
import ReplicastWire
import Testing

/// docs/PROTOCOL.md § 11.2: the policy examples are what `DefaultRendezvousPolicy` decides,
/// and the policy as the document writes it, implemented here step by step, decides as the
/// code does on random inputs.
@Suite("Rendezvous policy: docs/PROTOCOL.md § 11.2")
struct RendezvousPolicyDocumentTests {
    struct BadExample: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    struct Case {
        var name: String
        var input: RendezvousInput
        var expected: RendezvousDecision
    }

    /// The cases of the `policy-answers` and `policy-decisions` tables.
    static func cases(_ doc: CoreProtocolDocument) throws -> [Case] {
        var answers: [String: [[String: String]]] = [:]
        for r in try doc.table("policy-answers").records {
            guard let name = r["case"] else { throw BadExample("policy-answers: row without case") }
            answers[name, default: []].append(r)
        }
        var cases: [Case] = []
        for d in try doc.table("policy-decisions").records {
            guard let name = d["case"], let rows = answers.removeValue(forKey: name) else {
                throw BadExample("policy-decisions: case \(d["case"] ?? "?") has no answers")
            }
            var designated: [NodeID] = []
            var zones: [NodeID: String] = [:]
            var stored: [NodeID] = []
            var offers: [NodeID: RendezvousWindow] = [:]
            for r in rows {
                guard let id = CoreProtocolDocument.number(r["server"], as: UInt32.self), let zone = r["zone"] else {
                    throw BadExample("policy-answers \(name): bad row \(r)")
                }
                let server = NodeID(id)
                zones[server] = zone
                switch r["designated"] {
                case "yes": designated.append(server)
                case "no": break
                default: throw BadExample("policy-answers \(name): designated must be yes or no")
                }
                switch r["answer"] {
                case "stored": stored.append(server)
                case "offer":
                    guard let start = CoreProtocolDocument.number(r["start"], as: UInt64.self),
                        let duration = CoreProtocolDocument.number(r["duration"], as: Int64.self),
                        let rate = CoreProtocolDocument.number(r["rate"], as: UInt64.self)
                    else { throw BadExample("policy-answers \(name): offer of \(id) without a window") }
                    offers[server] = RendezvousWindow(start: Instant(nanoseconds: start), duration: .nanoseconds(duration), rate: rate)
                default: throw BadExample("policy-answers \(name): answer must be offer or stored")
                }
            }
            guard let replicas = CoreProtocolDocument.number(d["replicas"], as: Int.self),
                let length = CoreProtocolDocument.number(d["chunk length"], as: UInt64.self),
                let maxRate = CoreProtocolDocument.number(d["max rate"], as: UInt64.self)
            else { throw BadExample("policy-decisions \(name): replicas, chunk length or max rate missing") }
            let expected: RendezvousDecision
            switch d["decision"] {
            case "sufficient": expected = .sufficient
            case "insufficient": expected = .insufficient
            case "transfer":
                guard let members = CoreProtocolDocument.numbers(d["members"]),
                    let start = CoreProtocolDocument.number(d["start"], as: UInt64.self),
                    let duration = CoreProtocolDocument.number(d["duration"], as: Int64.self),
                    let rate = CoreProtocolDocument.number(d["rate"], as: UInt64.self)
                else { throw BadExample("policy-decisions \(name): transfer without members or window") }
                expected = .transfer(
                    members: members.map { NodeID($0) },
                    window: RendezvousWindow(start: Instant(nanoseconds: start), duration: .nanoseconds(duration), rate: rate))
            default: throw BadExample("policy-decisions \(name): unknown decision \(d["decision"] ?? "")")
            }
            cases.append(Case(
                name: name,
                input: RendezvousInput(
                    replicas: replicas, designated: designated, zones: zones, alreadyStored: stored, offers: offers,
                    length: length, maxRate: maxRate),
                expected: expected))
        }
        guard answers.isEmpty else { throw BadExample("policy-answers: cases without a decision: \(answers.keys.sorted())") }
        return cases
    }

    @Test func documentHasTheExamples() throws {
        let doc = try CoreProtocolDocument.load()
        #expect(doc.problems.isEmpty, "\(doc.problems)")
        #expect(try Self.cases(doc).count >= 4)
    }

    @Test func examplesAreWhatThePolicyDecides() throws {
        let doc = try CoreProtocolDocument.load()
        for c in try Self.cases(doc) {
            #expect(DefaultRendezvousPolicy().choose(c.input) == c.expected, "case \(c.name)")
            #expect(Self.documented(c.input) == c.expected, "case \(c.name), as § 11.2 is written")
        }
    }

    /// Random answers of up to 8 servers in up to 4 zones (some of unknown zone), with few
    /// distinct starts so that windows often share one.
    @Test func documentedPolicyMatchesTheCode() {
        var rng = SeededGenerator(seed: 0x11_2026)
        var decisions: [String: Int] = [:]
        for round in 0..<3000 {
            let servers = (1...UInt32.random(in: 1...8, using: &rng)).map { NodeID($0) }
            var zones: [NodeID: String] = [:]
            var designated: [NodeID] = []
            var stored: [NodeID] = []
            var offers: [NodeID: RendezvousWindow] = [:]
            for s in servers {
                if Int.random(in: 0..<6, using: &rng) > 0 { zones[s] = "z\(Int.random(in: 0..<4, using: &rng))" }
                if Bool.random(using: &rng) { designated.append(s) }
                switch Int.random(in: 0..<10, using: &rng) {
                case 0..<2: stored.append(s)
                case 2..<9:
                    offers[s] = RendezvousWindow(
                        start: Instant(nanoseconds: 1_000_000 * UInt64.random(in: 0...4, using: &rng)),
                        duration: .nanoseconds(Int64.random(in: 100_000...3_000_000, using: &rng)),
                        rate: [500_000_000, 1_000_000_000, 2_000_000_000].randomElement(using: &rng)!)
                default: break  // Not Now, or no answer
                }
            }
            let input = RendezvousInput(
                replicas: Int.random(in: 1...4, using: &rng), designated: designated, zones: zones, alreadyStored: stored,
                offers: offers, length: UInt64.random(in: 0...2_000_000, using: &rng),
                maxRate: [800_000_000, 2_000_000_000, 4_000_000_000].randomElement(using: &rng)!)
            let code = DefaultRendezvousPolicy().choose(input)
            #expect(Self.documented(input) == code, "round \(round)")
            switch code {
            case .sufficient: decisions["sufficient", default: 0] += 1
            case .insufficient: decisions["insufficient", default: 0] += 1
            case .transfer(let members, let window):
                let sameStart = members.allSatisfy { offers[$0]!.start <= window.start && window.end <= offers[$0]!.end }
                decisions[sameStart ? "transfer" : "transfer from the latest start", default: 0] += 1
            }
        }
        // Every branch of § 11.2 was taken.
        for branch in ["sufficient", "insufficient", "transfer", "transfer from the latest start"] {
            #expect(decisions[branch, default: 0] > 0, "\(branch) never decided: \(decisions)")
        }
    }

    // MARK: - § 11.2, as written

    /// T(L, r) of § 11.
    static func transferTime(_ length: UInt64, _ rate: UInt64) -> Duration {
        .nanoseconds(Int64((Double(length) / Double(rate)) * 1e9) + 1)
    }

    static func documented(_ input: RendezvousInput) -> RendezvousDecision {
        let s = input.alreadyStored
        let designated = Set(input.designated)
        let sHasDesignated = s.contains(where: designated.contains)
        // 1.
        if Set(s).count >= input.replicas && sHasDesignated { return .sufficient }
        // 2.
        let n = max(input.replicas - Set(s).count, sHasDesignated ? 0 : 1)
        // 3.
        let candidates = input.offers.keys.filter { !s.contains($0) }.sorted {
            (input.offers[$0]!.start, $0.rawValue) < (input.offers[$1]!.start, $1.rawValue)
        }
        if candidates.count < n { return .insufficient }
        func zone(_ server: NodeID) -> String { input.zones[server] ?? "unknown zone of \(server.rawValue)" }
        func select(_ list: [NodeID], distinctZonesOnly: Bool) -> [NodeID]? {
            var used = Set(s.compactMap { input.zones[$0] })
            var taken: [NodeID] = []
            for server in list where taken.count < n && !used.contains(zone(server)) {
                taken.append(server)
                used.insert(zone(server))
            }
            if !distinctZonesOnly {
                for server in list where taken.count < n && !taken.contains(server) { taken.append(server) }
            }
            if taken.count < n { return nil }
            if !sHasDesignated && !taken.contains(where: designated.contains) {
                guard let first = list.first(where: designated.contains) else { return nil }
                taken[taken.count - 1] = first
                if distinctZonesOnly {
                    let zones = taken.map(zone) + s.compactMap { input.zones[$0] }
                    if Set(zones).count != zones.count { return nil }
                }
            }
            return taken.sorted()
        }
        func window(_ selected: [NodeID], from start: Instant) -> RendezvousWindow {
            let rate = max(1, min(input.maxRate, selected.map { input.offers[$0]!.rate }.min()!))
            return RendezvousWindow(start: start, duration: transferTime(input.length, rate), rate: rate)
        }
        // 4.
        for distinctZonesOnly in [true, false] {
            let starts = Set(candidates.map { input.offers[$0]!.start }).sorted()
            for t in starts {
                let usable = candidates.filter {
                    let offer = input.offers[$0]!
                    return offer.start <= t && t + transferTime(input.length, max(1, min(input.maxRate, offer.rate))) <= offer.end
                }
                guard let selected = select(usable, distinctZonesOnly: distinctZonesOnly) else { continue }
                let w = window(selected, from: t)
                if selected.allSatisfy({ w.end <= input.offers[$0]!.end }) { return .transfer(members: selected, window: w) }
            }
            if let selected = select(candidates, distinctZonesOnly: distinctZonesOnly) {
                return .transfer(members: selected, window: window(selected, from: selected.map { input.offers[$0]!.start }.max()!))
            }
        }
        // 5.
        return .insufficient
    }
}
