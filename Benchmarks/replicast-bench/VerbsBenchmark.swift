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
/// `Deploy/softroce.sh bench`), in two parts:
///
/// 1. transfers: one sender transport posts 1 MiB Rendezvous Transfers, fragmented at the path
///    MTU by the `Fragmenter` and paced as the runtime paces them (rate line plus one batch of
///    burst), to a multicast group joined by `--members` transports; each member reassembles
///    every transfer on a thread of its own, as a storage node does;
/// 2. puts: `--nodes` in-process `StorageNode`s and a `ReplicastClient` over verbs put 1 MiB
///    chunks with `--replicas` replicas.
///
/// With `--ceiling-mbps` (perftest's `ib_send_bw` figure, MB/s as perftest counts them, 2^20
/// bytes) each rate is also given as a ratio of that ceiling.
struct VerbsBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verbs", abstract: "Rendezvous transfers and 3-replica puts over the verbs transport.")

    @Option(help: "Verbs device.") var device = "rxe0"
    @Option(help: "Chunk (transfer) size in bytes.") var chunkSize = 1 << 20
    @Option(help: "Transfers in the transfer part (0 skips it).") var transfers = 64
    @Option(help: "Member transports receiving each transfer.") var members = 3
    @Option(help: "Pacing rate of the transfers, bytes per second (the runtime's default reserved rate).")
    var rate: UInt64 = 2_000_000_000
    @Option(help: "Chunks in the put part (0 skips it).") var putChunks = 32
    @Option(help: "Storage nodes in the put part.") var nodes = 5
    @Option(help: "Replicas per chunk.") var replicas = 3
    @Option(help: "Chunks in flight in the put part.") var window = 4
    @Option(help: "Directory for the nodes' stores.") var dir = "/tmp/replicast-bench-verbs"
    @Option(help: "The raw ceiling to compare with: ib_send_bw's BW average, MB/s of 2^20 bytes.")
    var ceilingMbps: Double?

    func run() throws {
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = .warning
            return h
        }
        if let ceilingMbps { print("ceiling (ib_send_bw, UD, 4096-byte messages): \(fixed(ceilingMbps, 2)) MiB/s") }
        if transfers > 0 { try transferPart() }
        if putChunks > 0 { try putPart() }
    }

    /// "x.xx of the ceiling", or nothing without one.
    func ratio(_ bytesPerSecond: Double) -> String {
        guard let ceilingMbps else { return "" }
        return ", \(fixed(bytesPerSecond / (ceilingMbps * 1_048_576), 2)) of the ceiling"
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
    }

    func transferPart() throws {
        var configuration = VerbsConfiguration(deviceName: device)
        configuration.receiveDepth = 4096
        let sender = try VerbsTransport(configuration: configuration)
        let receivers = try (0..<members).map { _ in try VerbsTransport(configuration: configuration) }
        defer {
            sender.close()
            receivers.forEach { $0.close() }
        }
        let group = GroupAddress(ipv4: 239, 201, 0, 1, port: 0)
        for r in receivers { try r.join(group) }
        let mtu = sender.maxDatagramSize
        print("")
        print("transfers: \(transfers) x \(chunkSize) bytes to \(members) members of \(group) on \(sender.deviceName) "
            + "(path MTU \(mtu)), paced at \(rate) B/s, burst 64 datagrams")

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
            let thread = Thread { [transfers] in
                let result = Self.receiveTransfers(member.value, count: transfers, senderDone: senderDone)
                results.withLock { $0[index] = result }
                finished.leave()
            }
            thread.name = "member-\(index + 1)"
            thread.start()
        }

        let senderBefore = sender.counters
        let start = ContinuousClock.now
        try send(fragmenters, from: sender, to: .group(group), start: start)
        let posted = ContinuousClock.now
        senderDone.store(true, ordering: .releasing)
        finished.wait()
        let sent = sender.counters
        let got = results.withLock { $0 }

        let bytes = Double(transfers * chunkSize)
        let postSeconds = Double((posted - start).nanoseconds) / 1e9
        let datagramBytes = Double(sent.bytesSent - senderBefore.bytesSent)
        let datagrams = sent.datagramsSent - senderBefore.datagramsSent
        print("  sender: \(datagrams) datagrams, \(Int(datagramBytes)) bytes posted in \(fixed(postSeconds, 3)) s "
            + "(\(mib(datagramBytes / postSeconds)) of datagrams), \(sent.sendErrors - senderBefore.sendErrors) send errors")
        var slowest = 0.0
        var allComplete = true
        for (i, r) in got.enumerated() {
            let seconds = r.lastCompletion.map { Double(($0 - start).nanoseconds) / 1e9 } ?? .infinity
            slowest = max(slowest, seconds)
            allComplete = allComplete && r.completed == transfers
            print("  member \(i + 1): \(r.completed)/\(transfers) transfers complete, \(r.datagrams) datagrams, "
                + "\(r.bytes) bytes received, \(r.decodeErrors) decode errors")
        }
        let goodput = bytes / slowest
        print("  transfer goodput (chunk bytes complete at every member / time): \(mib(goodput))\(ratio(goodput))")
        print("  datagram rate at the sender over the same time: \(mib(datagramBytes / slowest))\(ratio(datagramBytes / slowest))")
        print("  delivered to \(members) members: \(mib(goodput * Double(members))) of chunk bytes in total")
        if !allComplete { print("  NOTE: some transfers were incomplete at some member (datagrams dropped)") }
    }

    /// Posts every fragment of every transfer in batches of up to 64, paced as the runtime's
    /// `PacedTransfer`: the bytes sent by time t never exceed rate x (t - start) plus one batch.
    func send(_ fragmenters: [Fragmenter], from sender: VerbsTransport, to destination: Destination, start: ContinuousClock.Instant)
        throws
    {
        var batch = SendBatch(maxDatagrams: 64, headCapacity: 64 * 1024)
        let burst = 64 * sender.maxDatagramSize
        var sentBytes = 0
        for f in fragmenters {
            for i in 0..<f.fragmentCount {
                let size = f.headLength(of: i) + f.body(of: i).count
                while true {
                    let elapsed = Double((ContinuousClock.now - start).nanoseconds) / 1e9
                    if sentBytes + size <= Int(elapsed * Double(rate)) + burst { break }
                    if !batch.isEmpty { try sender.send(&batch) }
                    let wait = Double(sentBytes + size - burst) / Double(rate) - elapsed
                    if wait > 0 { WallClock.sleep(.nanoseconds(Int64(wait * 1e9))) }
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
        var idleSince = ContinuousClock.now
        while result.completed < count {
            let n = (try? transport.receive(timeout: .milliseconds(100)) { datagram in
                result.datagrams += 1
                result.bytes += UInt64(datagram.bytes.count)
                do {
                    if let e = try reassembler.accept(datagram.bytes, now: WallClock.now()),
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
        return result
    }

    // MARK: - Puts

    func putPart() throws {
        let runDir = "\(dir)/\(getpid())"
        try? FileManager.default.removeItem(atPath: runDir)
        defer { try? FileManager.default.removeItem(atPath: runDir) }
        let base = UInt16(31_000 + Int(getpid() % 500) * 10)
        var cluster = ClusterConfiguration.local(
            nodes: nodes, directory: runDir, replicas: replicas, basePort: base, multicastPort: base)
        cluster.table.networks = [NetworkConfiguration(
            negotiatingBase: "239.202.0.0", notificationBase: "239.202.128.0", rendezvousBase: "239.203.0.0")]
        let transport = TransportChoice.verbs(device: device, gidIndex: nil)
        print("")
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
                throw ValidationError("a chunk got only \(receipt.storedOn.count) replicas")
            }
        }
        let bytes = Double(putChunks * chunkSize)
        let sent = after.bytesSent - before.bytesSent
        let stored = bytes * Double(replicas)
        print("  \(putChunks) chunks stored with \(replicas) replicas each in \(fixed(seconds, 3)) s, \(retries) retries")
        print("  object rate: \(mib(bytes / seconds))\(ratio(bytes / seconds))")
        print("  client sent \(after.datagramsSent - before.datagramsSent) datagrams, \(sent) bytes "
            + "(\(after.multicastBytesSent - before.multicastBytesSent) by multicast) for \(Int(stored)) bytes stored: "
            + "\(fixed(Double(sent) / stored, 3)) wire bytes per byte stored")
    }
}

/// Hands a transport to the one thread that drives it.
private struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
