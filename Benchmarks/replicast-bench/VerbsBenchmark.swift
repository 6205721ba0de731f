import ArgumentParser
import Foundation
import Logging
import ReplicastCore
import ReplicastRuntime
import ReplicastTransport
import ReplicastVerbs
import ReplicastWire
import Synchronization

/// `replicast-bench verbs`: the verbs transport on one device (soft-RoCE's rxe0 in the VM of
/// `Deploy/softroce.sh bench`), in rounds. Each round:
///
/// 0. with `--perftest`, the ceiling: perftest's `ib_send_bw -c UD -s 4096`, server and client
///    on the device (its MB/s are 2^20 bytes, as here);
/// 1. transfers: one sender transport posts 1 MiB Rendezvous Transfers, fragmented at the path
///    MTU by the `Fragmenter` and paced as the runtime paces them (rate line plus one batch of
///    burst), to a multicast group joined by `--members` transports (3, then 1 to compare like
///    with like: perftest has one receiver); each member reassembles every transfer on a
///    thread of its own, as a storage node does; each with `--send-lanes` lanes in turn (1,
///    then 2: rxe does a send's work in the posting thread, so lanes spread it over cores);
/// 2. puts: `--nodes` in-process `StorageNode`s and a `ReplicastClient` over verbs put 1 MiB
///    chunks with `--replicas` replicas, with each lane count;
/// 3. with `--perftest`, the ceiling again.
///
/// Each rate is set against its round's ceiling, the mean of the two perftest runs around the
/// workloads (the host is shared, and perftest's rate moves between runs); the summary gives,
/// over the rounds, the median of those ratios and the ratio of the mean rate to the mean
/// ceiling.
struct VerbsBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verbs", abstract: "Rendezvous transfers and 3-replica puts over the verbs transport.")

    @Option(help: "Verbs device.") var device = "rxe0"
    @Option(help: "GID index perftest uses (RoCE v2 over IPv4 is 1 on rxe).") var gidIndex = 1
    @Option(help: "Chunk (transfer) size in bytes.") var chunkSize = 1 << 20
    @Option(help: "Transfers per transfer run (0 skips them).") var transfers = 64
    @Option(help: "Member transports receiving each transfer; repeat for several runs (default: 3, then 1).")
    var members: [Int] = []
    @Option(help: "Pacing rate of the transfers, bytes per second (the runtime's default reserved rate).")
    var rate: UInt64 = 2_000_000_000
    @Option(help: "Receive queue depth of the transfer runs' transports (default: the runtime's).")
    var receiveDepth = VerbsConfiguration().receiveDepth
    @Option(help: "Microseconds a transfer run's receive busy-polls before sleeping (default: the runtime's).")
    var busyPollUs = Int(VerbsConfiguration().busyPoll.nanoseconds / 1000)
    @Option(help: "Microseconds a transfer run's receive waits for a batch while traffic flows (default: the runtime's).")
    var moderationUs = Int(VerbsConfiguration().completionModeration.nanoseconds / 1000)
    @Option(help: "Send lanes of the transfer runs' sender and of the put runs' client and nodes; repeat for several runs (default: 1, then 2).")
    var sendLanes: [Int] = []
    @Option(help: "Pin the transfer runs' sending thread to this core.") var senderCore: Int?
    @Option(help: "Pin the transfer runs' member threads to this core.") var memberCore: Int?
    @Option(help: "Chunks per put run (0 skips them).") var putChunks = 32
    @Option(help: "Storage nodes in the put runs.") var nodes = 5
    @Option(help: "Replicas per chunk.") var replicas = 3
    @Option(help: "Chunks in flight in the put runs.") var window = 4
    @Option(help: "Directory for the nodes' stores.") var dir = "/tmp/replicast-bench-verbs"
    @Option(help: "Rounds; each runs every workload once, between two measurements of the ceiling (with --perftest).") var rounds = 3
    @Flag(help: "Measure the ceiling before and after each round's workloads: ib_send_bw -c UD -s 4096, server and client on the device.")
    var perftest = false
    @Option(help: "Seconds each ib_send_bw run lasts (-D).") var perftestSeconds = 5
    @Option(help: "A fixed ceiling instead: ib_send_bw's BW average, MB/s of 2^20 bytes.") var ceilingMbps: Double?
    @Option(help: "Also write the summary table (markdown) to this file.") var summary: String?

    /// One workload's figures over the rounds.
    struct Row {
        var name: String
        var rates: [Double] = []
        var ratios: [Double] = []
        /// Puts: the client's wire bytes per byte stored, per round.
        var wirePerStored: [Double] = []
        var incomplete = false
    }

    func run() throws {
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = .warning
            return h
        }
        let memberCounts = members.isEmpty ? [3, 1] : members
        let laneCounts = sendLanes.isEmpty ? [1, 2] : sendLanes
        func lanesNote(_ lanes: Int) -> String { lanes == 1 ? "1 send lane" : "\(lanes) send lanes" }
        var rows: [String: Row] = [:]
        var order: [String] = []
        func record(_ name: String, _ rate: Double, ceiling: Double?, wirePerStored: Double? = nil, incomplete: Bool = false) {
            if rows[name] == nil { rows[name] = Row(name: name); order.append(name) }
            rows[name]!.rates.append(rate)
            if let ceiling { rows[name]!.ratios.append(rate / ceiling) }
            if let wirePerStored { rows[name]!.wirePerStored.append(wirePerStored) }
            rows[name]!.incomplete = rows[name]!.incomplete || incomplete
        }
        let ceilingName = "raw UD sends, `ib_send_bw -c UD -s 4096` (the ceiling)"
        for round in 1...rounds {
            print("")
            print("## round \(round) of \(rounds)")
            // perftest's rate moves by 10 to 20% between runs of a few seconds in the VM: each
            // round measures it before and after its workloads and takes the mean.
            let before = perftest ? try measureCeiling(verbose: round == 1) : nil
            var measured: [(name: String, rate: Double, wirePerStored: Double?, incomplete: Bool)] = []
            func done(_ name: String, _ rate: Double, wirePerStored: Double? = nil, incomplete: Bool = false) {
                measured.append((name, rate, wirePerStored, incomplete))
                print("  => \(mib(rate))")
                fflush(nil)  // progress shows as it happens, through the VM's console too
            }
            if transfers > 0 {
                for m in memberCounts {
                    for lanes in laneCounts {
                        let t = try transferRun(members: m, sendLanes: lanes)
                        done("\(chunkSize >> 20) MiB rendezvous transfers to \(m) member\(m == 1 ? "" : "s"), \(lanesNote(lanes)) "
                            + "(chunk bytes complete at every member)", t.goodput, incomplete: !t.complete)
                    }
                }
            }
            if putChunks > 0 {
                for lanes in laneCounts {
                    let p = try putRun(sendLanes: lanes)
                    done("\(replicas)-replica puts, \(chunkSize >> 20) MiB chunks, \(nodes) storage nodes, \(lanesNote(lanes)) (object bytes)",
                         p.rate, wirePerStored: p.wirePerStored)
                }
            }
            var ceiling = ceilingMbps.map { $0 * 1_048_576 }
            if let before {
                let after = try measureCeiling(verbose: false)
                ceiling = (before + after) / 2
                print("  ceiling of round \(round): \(mib(before)) before its workloads, \(mib(after)) after, mean \(mib(ceiling!))")
                record(ceilingName, ceiling!, ceiling: ceiling)
            }
            for m in measured {
                record(m.name, m.rate, ceiling: ceiling, wirePerStored: m.wirePerStored, incomplete: m.incomplete)
                print("  => \(m.name): \(mib(m.rate))" + (ceiling.map { ", \(fixed(m.rate / $0, 2)) of the round's ceiling" } ?? ""))
            }
            fflush(nil)
        }
        let ceilingMean = rows[ceilingName].map { mean($0.rates) } ?? ceilingMbps.map { $0 * 1_048_576 }
        var table = [
            "| workload on \(device), \(rounds) rounds | MiB/s, median | ratio to ib_send_bw, median of the rounds' | ratio of the means | per round | note |",
            "| --- | ---: | ---: | ---: | --- | --- |",
        ]
        for name in order {
            let r = rows[name]!
            let ratio = r.ratios.isEmpty ? "-" : fixed(median(r.ratios), 2)
            let ofMeans = ceilingMean.map { fixed(mean(r.rates) / $0, 2) } ?? "-"
            let each = r.ratios.isEmpty ? "" : r.ratios.map { fixed($0, 2) }.joined(separator: ", ")
            var notes: [String] = []
            if !r.wirePerStored.isEmpty {
                notes.append("client wire bytes per byte stored: \(fixed(median(r.wirePerStored), 3)) "
                    + "(\(r.wirePerStored.map { fixed($0, 3) }.joined(separator: ", ")))")
            }
            if r.incomplete { notes.append("some transfers incomplete at some member") }
            table.append("| \(name) | \(fixed(median(r.rates) / 1_048_576, 2)) | \(ratio) | \(ofMeans) | \(each) | \(notes.joined(separator: "; ")) |")
        }
        print("")
        table.forEach { print($0) }
        if let summary { try (table.joined(separator: "\n") + "\n").write(toFile: summary, atomically: true, encoding: .utf8) }
    }

    func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }

    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    // MARK: - Ceiling

    /// Runs ib_send_bw's server and client on the device and returns the client's BW average
    /// in bytes per second (perftest's MB are 2^20 bytes).
    func measureCeiling(verbose: Bool) throws -> Double {
        let args = ["-d", device, "-x", "\(gidIndex)", "-c", "UD", "-s", "4096", "-D", "\(perftestSeconds)"]
        print("$ ib_send_bw \(args.joined(separator: " ")) &  ib_send_bw \(args.joined(separator: " ")) 127.0.0.1")
        // A pair that fails (on a loaded VM the server sometimes gives up during the
        // handshake) is run again, twice at most; the failures are printed.
        var attempt = 1
        while true {
            do {
                return try perftestPair(args, verbose: verbose)
            } catch {
                guard attempt < 3 else { throw error }
                print("  ib_send_bw attempt \(attempt) failed, running it again: \(error)")
                attempt += 1
            }
        }
    }

    /// One ib_send_bw server and client; the client's BW average in bytes per second.
    func perftestPair(_ args: [String], verbose: Bool) throws -> Double {
        let server = try startPerftest(args)
        // The client fails if it comes before the server listens (a loaded VM starts slowly):
        // try again while the server waits, and never wait on a server left without a client.
        var clientOutput = ""
        var connected = false
        for _ in 0..<10 where !connected && server.process.isRunning {
            Thread.sleep(forTimeInterval: 1.5)
            let client = try startPerftest(args + ["127.0.0.1"])
            clientOutput = client.output()
            connected = client.process.terminationStatus == 0
        }
        if !connected { server.process.terminate() }
        let serverOutput = server.output()
        guard connected, server.process.terminationStatus == 0 else {
            throw ValidationError("ib_send_bw failed:\n\(clientOutput)\n--- server side\n\(serverOutput)")
        }
        let lines = clientOutput.split(separator: "\n")
        if verbose { lines.forEach { print("  \($0)") } } else { lines.filter { $0.contains("#bytes") }.forEach { print("  \($0)") } }
        guard let result = lines.last(where: { $0.split(separator: " ").first == "4096" }),
              let average = result.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst(3).first.flatMap({ Double($0) })
        else { throw ValidationError("no BW average in ib_send_bw's output:\n\(clientOutput)") }
        if !verbose { print("  \(result)") }
        return average * 1_048_576
    }

    /// A perftest process whose output is collected.
    struct Perftest {
        let process: Process
        let pipe: Pipe
        func output() -> String {
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: data, as: UTF8.self)
        }
    }

    func startPerftest(_ args: [String]) throws -> Perftest {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/ib_send_bw")
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        return Perftest(process: p, pipe: pipe)
    }

    func mib(_ bytesPerSecond: Double) -> String { fixed(bytesPerSecond / 1_048_576, 2) + " MiB/s" }

    // MARK: - Transfers

    /// What one member transport received.
    struct MemberResult: Sendable {
        var completed = 0
        var datagrams: UInt64 = 0
        var bytes: UInt64 = 0
        var decodeErrors = 0
        var lastCompletion: ContinuousClock.Instant?
        var receiveCalls: UInt64 = 0
        var cpu: (user: Double, system: Double) = (0, 0)
        var pageFaults = 0
    }

    /// Chunk bytes complete at every member per second, and whether every transfer completed
    /// at every member.
    func transferRun(members: Int, sendLanes: Int) throws -> (goodput: Double, complete: Bool) {
        var configuration = VerbsConfiguration(deviceName: device)
        configuration.receiveDepth = receiveDepth
        configuration.busyPoll = .microseconds(busyPollUs)
        configuration.completionModeration = .microseconds(moderationUs)
        var senderConfiguration = configuration
        senderConfiguration.sendLanes = sendLanes
        let sender = try VerbsTransport(configuration: senderConfiguration)
        let receivers = try (0..<members).map { _ in try VerbsTransport(configuration: configuration) }
        defer {
            sender.close()
            receivers.forEach { $0.close() }
        }
        let group = GroupAddress(ipv4: 239, 201, 0, 1, port: 0)
        for r in receivers { try r.join(group) }
        let mtu = sender.maxDatagramSize
        print("transfers: \(transfers) x \(chunkSize) bytes to \(members) member transport(s), group \(group) on \(sender.deviceName) "
            + "(path MTU \(mtu)), paced at \(rate) B/s, burst 64 datagrams, \(sendLanes) send lane(s)")

        // Distinct registered buffers, cycled: bodies go out as a second scatter/gather entry.
        var rng = RandomSource(seed: 7)
        let payloads: [Payload] = try (0..<8).map { _ in
            let buffer = try sender.allocate(count: chunkSize)
            let words = buffer.base.bindMemory(to: UInt64.self, capacity: chunkSize / 8)
            for i in 0..<(chunkSize / 8) { words[i] = rng.next() }
            return Payload(buffer)
        }
        let client = NodeID(NodeID.firstClient.rawValue + 1)
        let memberIDs = (1...UInt32(members)).map { NodeID($0) }
        let fragmenters = try (0..<transfers).map { t in
            let id = RequestID(source: client, sequence: UInt32(t + 1))
            let transfer = RendezvousTransfer(
                request: id, deliveryGroup: group, members: memberIDs, rate: rate,
                contentHash: HashID(words: (UInt64(t), 0, 0, 0)), content: payloads[t % payloads.count])
            let envelope = Envelope(kind: .notification, id: id, generation: 1, message: .rendezvousTransfer(transfer))
            return try Fragmenter(envelope: envelope, maxDatagramSize: mtu)
        }

        let senderDone = Atomic<Bool>(false)
        let results = Mutex<[MemberResult]>(Array(repeating: MemberResult(), count: members))
        let finished = DispatchGroup()
        for (index, transport) in receivers.enumerated() {
            finished.enter()
            let member = UncheckedBox(transport)
            let thread = Thread { [transfers, memberCore] in
                if let memberCore { try? VerbsTransport.pinCurrentThread(toCore: memberCore) }
                let result = Self.receiveTransfers(member.value, count: transfers, senderDone: senderDone)
                results.withLock { $0[index] = result }
                finished.leave()
            }
            thread.name = "member-\(index + 1)"
            thread.start()
        }

        // The sender has a thread of its own too, so that pinning it leaves the main thread
        // (which starts perftest) unpinned.
        let senderBefore = sender.counters
        let machineBefore = CPUAccounting.Machine.read()
        let start = ContinuousClock.now
        let sending = Mutex<Result<(posted: ContinuousClock.Instant, cpu: (user: Double, system: Double)), any Error>?>(nil)
        let senderBox = UncheckedBox((self, sender, fragmenters))
        finished.enter()
        let senderThread = Thread { [senderCore] in
            let (bench, sender, fragmenters) = senderBox.value
            let outcome = Result { () throws -> (posted: ContinuousClock.Instant, cpu: (user: Double, system: Double)) in
                if let senderCore { try VerbsTransport.pinCurrentThread(toCore: senderCore) }
                let cpuBefore = CPUAccounting.threadSeconds()
                try bench.send(fragmenters, from: sender, to: .group(group), start: start)
                try sender.flush()  // the lanes' last chains
                let cpu = CPUAccounting.threadSeconds()
                return (ContinuousClock.now, (cpu.user - cpuBefore.user, cpu.system - cpuBefore.system))
            }
            sending.withLock { $0 = outcome }
            senderDone.store(true, ordering: .releasing)
            finished.leave()
        }
        senderThread.name = "sender"
        senderThread.start()
        finished.wait()
        let machine = CPUAccounting.Machine.read()
        let (posted, senderCPU) = try sending.withLock { $0! }.get()
        let sent = sender.counters
        let got = results.withLock { $0 }

        let postSeconds = Double((posted - start).nanoseconds) / 1e9
        let datagramBytes = Double(sent.bytesSent - senderBefore.bytesSent)
        let datagrams = sent.datagramsSent - senderBefore.datagramsSent
        print("  sender: \(datagrams) datagrams, \(Int(datagramBytes)) bytes posted in \(fixed(postSeconds, 3)) s "
            + "(\(mib(datagramBytes / postSeconds)) of datagrams), \(sent.sendErrors - senderBefore.sendErrors) send errors; "
            + "thread CPU user \(fixed(senderCPU.user, 2)) s, system \(fixed(senderCPU.system, 2)) s")
        var slowest = 0.0
        var allComplete = true
        for (i, r) in got.enumerated() {
            let seconds = r.lastCompletion.map { Double(($0 - start).nanoseconds) / 1e9 } ?? .infinity
            slowest = max(slowest, seconds)
            allComplete = allComplete && r.completed == transfers
            print("  member \(i + 1): \(r.completed)/\(transfers) transfers complete, \(r.datagrams) datagrams, "
                + "\(r.bytes) bytes received, \(r.decodeErrors) decode errors; \(fixed(Double(r.datagrams) / Double(max(r.receiveCalls, 1)), 1)) "
                + "datagrams per receive call; thread CPU user \(fixed(r.cpu.user, 2)) s, system \(fixed(r.cpu.system, 2)) s, \(r.pageFaults) page faults")
        }
        // Only transfers complete at every member count.
        let goodput = Double((got.map(\.completed).min() ?? 0) * chunkSize) / slowest
        print("  goodput (chunk bytes complete at every member / time): \(mib(goodput)); datagram bytes over the same "
            + "time \(mib(datagramBytes / slowest)); delivered in total to the \(members) member(s) \(mib(goodput * Double(members)))")
        print("  CPU time of the machine over the run: \(machine.share(since: machineBefore))")
        if !allComplete { print("  NOTE: some transfers were incomplete at some member (datagrams dropped)") }
        return (goodput, allComplete)
    }

    /// Posts every fragment of every transfer in batches of up to 64, paced as the runtime's
    /// `PacedTransfer`: the bytes sent by time t never exceed rate x (t - start) plus one batch.
    /// The clock is read once per allowance, not per datagram, as the runtime's pump does.
    func send(_ fragmenters: [Fragmenter], from sender: VerbsTransport, to destination: Destination, start: ContinuousClock.Instant)
        throws
    {
        var batch = SendBatch(maxDatagrams: 64, headCapacity: 64 * 1024)
        let burst = 64 * sender.maxDatagramSize
        var sentBytes = 0
        var allowed = 0
        func allowance() -> Int {
            let elapsed = Double((ContinuousClock.now - start).nanoseconds) / 1e9
            return Int(min(Double(Int.max / 2), elapsed * Double(rate))) + burst
        }
        for f in fragmenters {
            for i in 0..<f.fragmentCount {
                let size = f.headLength(of: i) + f.body(of: i).count
                if sentBytes + size > allowed { allowed = allowance() }
                while sentBytes + size > allowed {
                    if !batch.isEmpty { try sender.send(&batch) }
                    let wait = Double(sentBytes + size - allowed) / Double(rate)
                    WallClock.sleep(.nanoseconds(Int64(wait * 1e9)))
                    allowed = allowance()
                }
                if batch.isFull || batch.headSpaceLeft < f.headLength(of: i) { try sender.send(&batch) }
                batch.append(to: destination, headLength: f.headLength(of: i), body: f.body(of: i)) {
                    f.writeHead(of: i, into: $0)
                }
                sentBytes += size
            }
        }
        if !batch.isEmpty { try sender.send(&batch) }
    }

    /// A member's loop: receive and reassemble until `count` transfers are complete, or the
    /// sender is done and nothing arrived for two seconds.
    static func receiveTransfers(_ transport: VerbsTransport, count: Int, senderDone: borrowing Atomic<Bool>) -> MemberResult {
        let reassembler = Reassembler()
        var result = MemberResult()
        let cpuBefore = CPUAccounting.threadSeconds()
        let faultsBefore = CPUAccounting.threadPageFaults()
        let callsBefore = transport.counters.receiveCalls

        var idleSince = ContinuousClock.now
        while result.completed < count {
            var batchNow: Instant?  // one clock read per received batch, as the runtime's channel
            let n = (try? transport.receive(timeout: .milliseconds(100)) { datagram in
                result.datagrams += 1
                result.bytes += UInt64(datagram.bytes.count)
                let now = batchNow ?? WallClock.now()
                batchNow = now
                do {
                    if let e = try reassembler.accept(datagram.bytes, now: now),
                        case .rendezvousTransfer = e.message
                    {
                        result.completed += 1
                        result.lastCompletion = ContinuousClock.now
                    }
                } catch {
                    result.decodeErrors += 1
                }
            }) ?? 0
            if n > 0 {
                idleSince = ContinuousClock.now
            } else if senderDone.load(ordering: .acquiring), ContinuousClock.now - idleSince > .seconds(2) {
                break
            }
        }
        let cpu = CPUAccounting.threadSeconds()
        result.cpu = (cpu.user - cpuBefore.user, cpu.system - cpuBefore.system)
        result.pageFaults = CPUAccounting.threadPageFaults() - faultsBefore
        result.receiveCalls = transport.counters.receiveCalls - callsBefore
        return result
    }

    // MARK: - Puts

    /// Object bytes stored per second, and the client's wire bytes per byte stored.
    func putRun(sendLanes: Int) throws -> (rate: Double, wirePerStored: Double) {
        let runDir = "\(dir)/\(getpid())"
        try? FileManager.default.removeItem(atPath: runDir)
        defer { try? FileManager.default.removeItem(atPath: runDir) }
        let base = UInt16(31_000 + Int(getpid() % 500) * 10)
        var cluster = ClusterConfiguration.local(
            nodes: nodes, directory: runDir, replicas: replicas, basePort: base, multicastPort: base)
        cluster.table.networks = [NetworkConfiguration(
            negotiatingBase: "239.202.0.0", notificationBase: "239.202.128.0", rendezvousBase: "239.203.0.0")]
        let transport = TransportChoice.verbs(device: device, gidIndex: nil, sendLanes: sendLanes)
        print("puts: \(putChunks) chunks of \(chunkSize) bytes, \(replicas) replicas, \(nodes) in-process storage nodes "
            + "and a client over \(transport), window \(window), stores in \(dir)")
        let servers = try cluster.servers.map { s in
            let node = try StorageNode(id: NodeID(s.id), cluster: cluster, transport: transport)
            node.start()
            return node
        }
        defer { servers.forEach { $0.stop() } }
        let client = try ReplicastClient(cluster: cluster, transport: transport)
        var rng = RandomSource(seed: 11)
        let payloads: [Payload] = try (0..<putChunks).map { _ in
            let buffer = try client.allocate(count: chunkSize)
            let words = buffer.base.bindMemory(to: UInt64.self, capacity: chunkSize / 8)
            for i in 0..<(chunkSize / 8) { words[i] = rng.next() }
            return Payload(buffer)
        }
        // What hashing costs here: the client and every storing server hash each chunk once.
        let hashStart = ContinuousClock.now
        for p in payloads.prefix(4) { blackHole(ContentHash.of(p)) }
        let hashSeconds = Double((ContinuousClock.now - hashStart).nanoseconds) / 1e9 / Double(min(4, payloads.count))
        print("  SHA-256 of one chunk on this machine: \(fixed(hashSeconds * 1000, 1)) ms "
            + "(\(mib(Double(chunkSize) / hashSeconds)) on one thread)")
        let before = client.transportCounters
        let start = ContinuousClock.now
        let outcomes = client.putChunks(count: putChunks, window: window, chunk: { payloads[$0] })
        let seconds = Double((ContinuousClock.now - start).nanoseconds) / 1e9
        let after = client.transportCounters
        var retries = 0
        for o in outcomes {
            let receipt = try o.get()
            retries += receipt.attempts - 1
            guard receipt.storedOn.count + receipt.alreadyStored.count >= replicas else {
                throw ValidationError("a chunk got only \(receipt.storedOn.count + receipt.alreadyStored.count) replicas")
            }
        }
        let bytes = Double(putChunks * chunkSize)
        let sent = after.bytesSent - before.bytesSent
        let stored = bytes * Double(replicas)
        print("  \(putChunks) chunks stored with \(replicas) replicas each in \(fixed(seconds, 3)) s, \(retries) retries; "
            + "servers: \(ServerStats.retrySummary(of: servers.map(\.stats)))")
        print("  client sent \(after.datagramsSent - before.datagramsSent) datagrams, \(sent) bytes "
            + "(\(after.multicastBytesSent - before.multicastBytesSent) by multicast) for \(Int(stored)) bytes stored: "
            + "\(fixed(Double(sent) / stored, 3)) wire bytes per byte stored")
        return (bytes / seconds, Double(sent) / stored)
    }
}

/// Hands a transport to the one thread that drives it.
private struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
