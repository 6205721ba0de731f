import ReplicastCore
import ReplicastDriver
import ReplicastTransport
import ReplicastWire
import Testing

/// A client's transfers on its link, as the driver releases them: back to back within its
/// reserved outbound rate, in the order of their windows, and after a stall (a busy host)
/// resumed at the rate instead of all at once.
@Suite struct EgressPacingTests {
    let servers = (1...3).map { NodeID(UInt32($0)) }
    let client = NodeID(NodeID.firstClient.rawValue + 1)
    let t0 = Instant(nanoseconds: 1_000_000_000)
    let outbound: UInt64 = 100_000_000

    /// A client that has two 1 MB puts answered by every server with an immediate window at
    /// 1 GB/s: its two transfers are queued, booked one after the other at 100 MB/s.
    func twoTransfers(egressLimit: Bool = true) throws -> (ProtocolDriver<ClientCore>, [RendezvousWindow]) {
        let table = try AllocationTable(
            servers: servers.map { ServerInfo(id: $0, zone: "z\($0.rawValue)", endpoints: ["e"]) },
            configuration: TableConfiguration(rowCount: 1, k: 3, minimumGroupSize: 3))
        var c = ClientConfiguration(id: client)
        c.allocation = .split(bandwidth: outbound * 10 / 8, reservedShare: 0.8)
        let driver = ProtocolDriver(core: ClientCore(configuration: c, table: table), maxDatagramSize: 8972)
        if egressLimit { driver.egressLimit = outbound }
        var windows: [RendezvousWindow] = []
        var proposals: [RequestID] = []
        driver.actionObserver = { _, actions in
            for case .send(let out) in actions {
                if case .putProposal = out.message { proposals.append(out.id) }
                if case .rendezvousTransfer = out.message, let w = out.pacing { windows.append(w) }
            }
        }
        for byte in [UInt8(1), 2] {
            let chunk = Payload(copying: [UInt8](repeating: byte, count: 1_000_000))
            driver.withCore(now: t0) { _ = $0.put(chunk, contentHash: ContentHash.of(chunk), now: t0) }
        }
        var seq: UInt32 = 1
        for id in proposals {
            for s in servers {
                seq += 1
                let w = RendezvousWindow(start: t0 + .microseconds(300), duration: .seconds(1), rate: 1_000_000_000)
                let accept = PutAccept(proposal: id, negotiatingGroup: RowID(0), answer: .proposedRendezvous(w))
                driver.withCore(now: t0) {
                    $0.handle(Inbound(kind: .response, id: RequestID(source: s, sequence: seq), generation: 0, message: .putAccept(accept)), now: t0)
                }
            }
        }
        return (driver, windows)
    }

    /// Bytes of transfers the driver releases at `now` (everything due).
    func release(_ driver: ProtocolDriver<ClientCore>, at now: Instant) -> Int {
        var total = 0
        var batch = SendBatch(maxDatagrams: 64)
        while true {
            let more = driver.fill(&batch, now: now)
            total += batch.byteCount
            batch.removeAll()
            if !more { break }
        }
        return total
    }

    @Test("the client's transfers are booked back to back at its reserved outbound rate, though the servers offered 1 GB/s at once")
    func bookedBackToBack() throws {
        let (_, windows) = try twoTransfers()
        #expect(windows.count == 2)
        #expect(windows.allSatisfy { $0.rate == outbound })
        #expect(windows[1].start >= windows[0].end)
    }

    @Test("after a stall the transfers resume at the rate: at most the lag tolerance at once, and the second waits for the first",
          arguments: [true, false])
    func stalledSenderDoesNotBurst(egressLimit: Bool) throws {
        // With the node's egress bucket, and without it (each transfer's pacer alone).
        let (driver, windows) = try twoTransfers(egressLimit: egressLimit)
        let w = try #require(windows.first)
        _ = release(driver, at: w.start)  // the first burst
        // The host did not run the sender for 30 ms, past the first window's end and into
        // the second's: without the rules it would now send both transfers whole.
        let stalled = w.start + .milliseconds(30)
        let burst = release(driver, at: stalled)
        let tolerance = max(64 * 1024, Int(Double(outbound) * 0.004))
        #expect(burst <= tolerance + 64 * 1024 + 9000, "\(burst) bytes at once after the stall")
        // From then on, the rate: 10 ms more carry at most 100 kB/ms × 10 plus a burst.
        let next = release(driver, at: stalled + .milliseconds(10))
        #expect(next <= Int(outbound / 100) + 64 * 1024 + 9000, "\(next) bytes in 10 ms")
        // Everything is sent in the end, the second transfer after the first.
        var sent = burst + next
        var t = stalled + .milliseconds(10)
        while driver.transfersInProgress > 0, t < stalled + .seconds(1) {
            t = t + .milliseconds(1)
            sent += release(driver, at: t)
        }
        #expect(driver.transfersInProgress == 0 && sent >= 2_000_000 - 200_000)
        #expect(t >= stalled + .milliseconds(15))
    }
}
