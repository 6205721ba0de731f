/// Chooses the members of each row: rendezvous (highest-random-weight) hashing with a cap on
/// the designated members a single zone may hold.
///
/// For row r every server gets the score `RendezvousHash.score(r, id)`. Designated members are
/// taken greedily in descending score, skipping a server whose zone already holds its fair
/// share, ceil(designated / zones); if the cap leaves the row short after every server was
/// considered, the best skipped servers fill it. Associates are then the best-scored servers
/// not designated. Both lists are in descending score order.
///
/// With the designated count and the zone cap unchanged, adding a server y changes a row only
/// if y enters it: the greedy pass is identical up to y's rank, and from there either takes y
/// or proceeds exactly as before. Removing y is the mirror image. The count and cap change
/// only when the Table 2 size steps or the set of zones changes.
///
/// The greedy pass is computed in one scan without ranking every server: within a zone it takes
/// servers in score order until the cap, so it takes exactly the best `designated` of the
/// union C of each zone's best `cap` servers; the fill-in and the associates come from the
/// best `designated + associates` servers overall. Only those short lists are kept.
struct RowSelector {
    /// The chosen members of one row, as indices into the sorted membership, in rank order.
    struct Selection {
        var designated: [Int]
        var associates: [Int]
    }

    /// A server's score in the row being chosen; `server` indexes the sorted membership.
    private struct Candidate {
        var score: UInt64
        var server: Int
    }

    private let ids: [UInt32]
    private let zoneOfServer: [Int]
    private let designatedCount: Int
    private let associateCount: Int
    private let zoneCap: Int
    /// The best `designatedCount + associateCount` servers of the row, best first.
    private var overall: [Candidate]
    /// The best `zoneCap` servers of each zone, best first: zone z holds
    /// `zoneBest[z * zoneCap ..< z * zoneCap + zoneFill[z]]`.
    private var zoneBest: [Candidate]
    private var zoneFill: [Int]

    /// A selector for servers `ids` (ascending), server i in zone `zoneOfServer[i]` of
    /// `zoneCount` zones; requires 1 ≤ designatedCount and designatedCount + associateCount ≤
    /// the server count.
    init(ids: [UInt32], zoneOfServer: [Int], zoneCount: Int, designatedCount: Int, associateCount: Int) {
        self.ids = ids
        self.zoneOfServer = zoneOfServer
        self.designatedCount = designatedCount
        self.associateCount = associateCount
        self.zoneCap = (designatedCount + zoneCount - 1) / zoneCount
        let empty = Candidate(score: 0, server: 0)
        self.overall = Array(repeating: empty, count: designatedCount + associateCount)
        self.zoneBest = Array(repeating: empty, count: zoneCount * zoneCap)
        self.zoneFill = Array(repeating: 0, count: zoneCount)
    }

    /// The members of row `row`.
    mutating func select(row: UInt32) -> Selection {
        scan(row: row)

        // The greedy first pass: the best `designatedCount` of the zones' best servers.
        var firstPass = Array(repeating: Candidate(score: 0, server: 0), count: designatedCount)
        var taken = 0
        firstPass.withUnsafeMutableBufferPointer { firstPass in
            for zone in zoneFill.indices {
                for slot in zone * zoneCap..<zone * zoneCap + zoneFill[zone] {
                    Self.insert(zoneBest[slot], into: firstPass, count: &taken)
                }
            }
        }
        var designated = firstPass.prefix(taken).map(\.server)

        // The cap left the row short: fill it with the best servers not taken, ignoring the cap.
        if taken < designatedCount {
            var ranked = firstPass.prefix(taken)
            for candidate in overall where ranked.count < designatedCount {
                if !designated.contains(candidate.server) { ranked.append(candidate) }
            }
            ranked.sort { $0.score > $1.score }
            designated = ranked.map(\.server)
        }
        let associates = overall.lazy.map(\.server).filter { !designated.contains($0) }.prefix(associateCount)
        return Selection(designated: designated, associates: Array(associates))
    }

    /// One pass over the membership: fills `overall` and each zone's `zoneBest`.
    /// (Written over raw buffers: this loop is the table build's whole cost.)
    private mutating func scan(row: UInt32) {
        let ids = self.ids
        let zoneOfServer = self.zoneOfServer
        let cap = zoneCap
        var overallCount = 0
        for zone in zoneFill.indices { zoneFill[zone] = 0 }
        ids.withUnsafeBufferPointer { ids in
            zoneOfServer.withUnsafeBufferPointer { zoneOfServer in
                overall.withUnsafeMutableBufferPointer { overall in
                    zoneBest.withUnsafeMutableBufferPointer { zoneBest in
                        zoneFill.withUnsafeMutableBufferPointer { zoneFill in
                            let last = overall.count - 1
                            var server = 0
                            while server < ids.count {
                                let score = RendezvousHash.score(row: row, server: ids[server])
                                let candidate = Candidate(score: score, server: server)
                                if overallCount <= last || score > overall[last].score {
                                    Self.insert(candidate, into: overall, count: &overallCount)
                                }
                                let zone = zoneOfServer[server]
                                let base = zone * cap
                                if zoneFill[zone] < cap || score > zoneBest[base + cap - 1].score {
                                    Self.insert(
                                        candidate, into: UnsafeMutableBufferPointer(rebasing: zoneBest[base..<base + cap]),
                                        count: &zoneFill[zone])
                                }
                                server += 1
                            }
                        }
                    }
                }
            }
        }
    }

    /// Inserts `candidate` into the descending list `list[0..<count]` of capacity `list.count`,
    /// dropping the worst entry if the list is full and `candidate` beats it.
    private static func insert(
        _ candidate: Candidate, into list: UnsafeMutableBufferPointer<Candidate>, count: inout Int
    ) {
        var slot: Int
        if count < list.count {
            slot = count
            count += 1
        } else if candidate.score > list[list.count - 1].score {
            slot = list.count - 1
        } else {
            return
        }
        while slot > 0 && list[slot - 1].score < candidate.score {
            list[slot] = list[slot - 1]
            slot -= 1
        }
        list[slot] = candidate
    }
}
