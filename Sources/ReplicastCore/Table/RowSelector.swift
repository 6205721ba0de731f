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
struct RowSelector {
    /// A server's score in the row being chosen; `server` indexes the sorted membership.
    private struct Candidate {
        var score: UInt64
        var server: Int
    }

    /// The chosen members of one row, as indices into the sorted membership, in rank order.
    struct Selection {
        var designated: [Int]
        var associates: [Int]
    }

    private let ids: [UInt32]
    private let zoneOfServer: [Int]
    private let designatedCount: Int
    private let associateCount: Int
    private let zoneCap: Int
    private let shortlistLength: Int
    private var ranked: [Candidate] = []
    private var zoneLoad: [Int]

    /// A selector for servers `ids` (ascending), server i in zone `zoneOfServer[i]` of
    /// `zoneCount` zones; `designatedCount + associateCount` must not exceed the server count.
    init(ids: [UInt32], zoneOfServer: [Int], zoneCount: Int, designatedCount: Int, associateCount: Int) {
        self.ids = ids
        self.zoneOfServer = zoneOfServer
        self.designatedCount = designatedCount
        self.associateCount = associateCount
        self.zoneCap = (designatedCount + zoneCount - 1) / zoneCount
        self.shortlistLength = min(ids.count, max(4 * (designatedCount + associateCount), 32))
        self.zoneLoad = Array(repeating: 0, count: zoneCount)
        ranked.reserveCapacity(ids.count)
    }

    /// The members of row `row`.
    ///
    /// Ranks only a shortlist of the best-scored servers first; the greedy pass over a prefix
    /// of the full ranking gives the same answer whenever it completes within that prefix.
    /// Otherwise the whole membership is ranked.
    mutating func select(row: UInt32) -> Selection {
        rankShortlist(row: row)
        let complete = ranked.count == ids.count
        if let selection = choose(complete: complete) { return selection }
        rankAll(row: row)
        guard let selection = choose(complete: true) else {
            preconditionFailure("a full ranking always yields a selection")
        }
        return selection
    }

    /// Fills `ranked` with the `shortlistLength` best-scored servers, best first.
    private mutating func rankShortlist(row: UInt32) {
        ranked.removeAll(keepingCapacity: true)
        for server in ids.indices {
            let score = RendezvousHash.score(row: row, server: ids[server])
            if ranked.count == shortlistLength {
                if score <= ranked[shortlistLength - 1].score { continue }
                ranked.removeLast()
            }
            var low = 0
            var high = ranked.count
            while low < high {
                let mid = (low + high) / 2
                if ranked[mid].score > score { low = mid + 1 } else { high = mid }
            }
            ranked.insert(Candidate(score: score, server: server), at: low)
        }
    }

    /// Fills `ranked` with every server, best first.
    private mutating func rankAll(row: UInt32) {
        ranked.removeAll(keepingCapacity: true)
        for server in ids.indices {
            ranked.append(Candidate(score: RendezvousHash.score(row: row, server: ids[server]), server: server))
        }
        ranked.sort { $0.score > $1.score }
    }

    /// Runs the greedy choice over `ranked`; nil if `ranked` is only a prefix of the ranking
    /// and the choice would need to look beyond it.
    private mutating func choose(complete: Bool) -> Selection? {
        for zone in zoneLoad.indices { zoneLoad[zone] = 0 }
        var designated: [Int] = []  // positions in `ranked`
        var passedOver: [Int] = []  // positions skipped because of the zone cap
        var position = 0
        while designated.count < designatedCount && position < ranked.count {
            let zone = zoneOfServer[ranked[position].server]
            if zoneLoad[zone] < zoneCap {
                zoneLoad[zone] += 1
                designated.append(position)
            } else {
                passedOver.append(position)
            }
            position += 1
        }
        if designated.count < designatedCount {
            guard complete else { return nil }
            let shortfall = designatedCount - designated.count
            designated += passedOver.prefix(shortfall)
            passedOver.removeFirst(shortfall)
            designated.sort()
        }
        // The best servers not designated: those passed over (all ranked before `position`),
        // then those after `position`.
        var associates = Array(passedOver.prefix(associateCount))
        while associates.count < associateCount && position < ranked.count {
            associates.append(position)
            position += 1
        }
        guard associates.count == associateCount else { return nil }
        return Selection(
            designated: designated.map { ranked[$0].server },
            associates: associates.map { ranked[$0].server })
    }
}
