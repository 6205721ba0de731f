import ReplicastCore
import ReplicastWire

extension Simulation {
    /// Sends what a core asked to send: unsolicited messages leave at once (queued behind
    /// the sender's link), a rendezvous transfer's fragments leave from its window's start
    /// at its rate.
    func send(_ out: Outbound, from sender: NodeID) {
        let n = node(sender)
        let message: SimulatedMessage
        do {
            message = try SimulatedMessage(
                out, sender: sender, incarnation: n.attachment.incarnation, generation: table.generation,
                mtu: configuration.links.mtu)
        } catch {
            ledger.fail(.messagesEncodable, at: now, "\(sender) cannot send \(out.kind) \(out.id) to \(out.target): \(error)")
            return
        }
        report.network.messages += 1
        guard let window = out.pacing else {
            for i in 0..<message.fragmentCount { depart(message, i) }
            return
        }
        let start = max(now, window.start)
        let rate = Double(max(window.rate, 1))
        var offset = 0
        for i in 0..<message.fragmentCount {
            let due = start + .nanoseconds(Int64(Double(offset) / rate * 1e9))
            offset += message.size(of: i)
            if due <= now { depart(message, i) } else { schedule(.depart(message, fragment: i), at: due) }
        }
    }

    /// Fragment `index` leaves its sender's link (if the sender is still the incarnation
    /// that sent it and its queue has room).
    func depart(_ message: SimulatedMessage, _ index: Int) {
        let n = node(message.sender)
        guard n.attachment.isUp, n.attachment.incarnation == message.senderIncarnation else {
            report.network.crashDrops += 1
            return
        }
        let size = message.size(of: index)
        guard let left = n.attachment.egress.enqueue(size, at: now) else {
            report.network.egressDrops += 1
            return
        }
        report.network.datagrams += 1
        report.network.bytes += UInt64(size)
        schedule(.reachSwitch(message, fragment: index), at: left + configuration.links.latency)
    }

    /// The switch copies fragment `index` to the port of every receiver of its target; on
    /// the way it may be lost, duplicated or held back, and a full port buffer drops it.
    func forward(_ message: SimulatedMessage, _ index: Int) {
        let size = message.size(of: index)
        for receiver in receivers(of: message.outbound.target, from: message.sender) {
            if isolated[message.sender] != nil || isolated[receiver] != nil {
                report.network.partitionDrops += 1
                continue
            }
            if networkRandom.chance(faults.loss) {
                report.network.lossDrops += 1
                continue
            }
            let copies = networkRandom.chance(faults.duplicate) ? 2 : 1
            let port = node(receiver)
            for copy in 0..<copies {
                guard let delivered = port.attachment.ingress.enqueue(size, at: now) else {
                    report.network.congestionDrops += 1
                    if message.isTransfer { report.network.transferCongestionDrops += 1 }
                    trace?("\(now) switch dropped \(message.outbound.message.wireType) \(message.outbound.id) fragment \(index) to \(receiver): port full")
                    continue
                }
                if copy == 1 { report.network.duplicated += 1 }
                var at = delivered
                if networkRandom.chance(faults.reorder) {
                    report.network.reordered += 1
                    at = at + networkRandom.duration(in: faults.reorderDelay)
                }
                schedule(.arrive(receiver, message, fragment: index), at: at)
            }
        }
    }

    /// The nodes a target reaches (never the sender itself), in ascending id order.
    func receivers(of target: Target, from sender: NodeID) -> [NodeID] {
        switch target {
        case .negotiatingGroup(let row):
            return table.members(of: row).filter { $0 != sender }.sorted()
        case .group(let group):
            return (groups[group] ?? []).filter { $0 != sender }
        case .node(let id):
            return exists(id) && id != sender ? [id] : []
        }
    }

    /// A fragment reaches its receiver: reassemble, and deliver a completed message.
    func arrive(_ message: SimulatedMessage, _ index: Int, at receiver: NodeID) {
        let n = node(receiver)
        guard n.attachment.isUp else {
            report.network.crashDrops += 1
            return
        }
        switch n.attachment.reassembly.accept(message, fragment: index, now: now) {
        case .complete(let m):
            deliver(m, to: receiver)
        case .started:
            schedule(.reassemblyCheck(receiver, incarnation: n.attachment.incarnation, message.key),
                     at: now + configuration.links.reassemblyTimeout)
        case .progressed:
            break
        case .duplicate:
            report.network.duplicatesDiscarded += 1
        case .inconsistent:
            report.network.foreignFragments += 1
        }
    }

    /// Drops a message whose fragments stopped coming; a server is told of an incomplete
    /// rendezvous transfer (it NAKs).
    func checkReassembly(_ key: MessageIdentity, at receiver: NodeID, incarnation: Int) {
        let n = node(receiver)
        guard n.attachment.incarnation == incarnation else { return }
        let (expired, recheck) = n.attachment.reassembly.check(key, now: now)
        if let recheck { schedule(.reassemblyCheck(receiver, incarnation: incarnation, key), at: recheck) }
        guard let message = expired else { return }
        report.network.incompleteMessages += 1
        trace?("\(now) \(receiver) dropped incomplete \(message.outbound.message.wireType) \(message.outbound.id)")
        if !receiver.isClient && message.isTransfer {
            let s = server(receiver)
            guard s.core != nil else { return }
            s.core!.transferIncomplete(message.outbound.id, now: now)
            perform(s.core!.pollActions(), for: s)
        }
    }

    func deliver(_ message: SimulatedMessage, to receiver: NodeID) {
        trace?("\(now) \(message.sender) -> \(receiver) \(message.outbound.message.traceDescription) \(message.outbound.id)")
        if receiver.isClient {
            let c = client(receiver)
            c.core.handle(message.inbound, now: now)
            perform(c.core.pollActions(), for: c)
        } else {
            serverReceives(message.inbound, server(receiver))
        }
    }

    // MARK: - Groups and partitions

    func join(_ group: GroupAddress, _ id: NodeID) {
        var members = groups[group] ?? []
        guard !members.contains(id) else { return }
        members.append(id)
        members.sort()
        groups[group] = members
    }

    func leave(_ group: GroupAddress, _ id: NodeID) {
        guard var members = groups[group] else { return }
        members.removeAll { $0 == id }
        groups[group] = members.isEmpty ? nil : members
    }

    /// Removes a node from every Rendezvous Group (it crashed).
    func leaveAll(_ id: NodeID) {
        for group in groups.keys.sorted(by: { $0.description < $1.description }) { leave(group, id) }
    }

    /// Cuts a random server off from every other node for a while.
    func partition() {
        let id = servers[faultRandom.integer(in: 0...(servers.count - 1))].id
        isolated[id, default: 0] += 1
        report.partitions += 1
        schedule(.heal(id), at: now + faultRandom.duration(in: faults.partitionLength))
    }

    func heal(_ id: NodeID) {
        guard let n = isolated[id] else { return }
        isolated[id] = n > 1 ? n - 1 : nil
    }
}
