import ReplicastCore
import ReplicastDriver
import ReplicastTransport
import ReplicastWire

extension Simulation {
    /// A node's unicast endpoint on the simulated network.
    func endpoint(of id: NodeID) -> Endpoint { Endpoint(ipv4: id.rawValue, port: 1) }

    /// Carries out what node `id`'s driver asks after an event: joins and leaves on the
    /// modelled network and its effects through `effect` (which may call back into the
    /// driver), until none is left; then puts the datagrams due on the node's link.
    func carryOut<Core>(_ driver: ProtocolDriver<Core>, of id: NodeID, effect: (Core.Effect) -> Void) {
        var outputs = driver.pollOutputs()
        while !outputs.isEmpty {
            for output in outputs {
                switch output {
                case .join(let group): join(group, id)
                case .leave(let group): leave(group, id)
                case .effect(let e): effect(e)
                }
            }
            outputs = driver.pollOutputs()
        }
        transmit(driver, from: id)
    }

    /// Puts on the sender's link every datagram its driver has due now, as bytes.
    func transmit<Core>(_ driver: ProtocolDriver<Core>, from sender: NodeID) {
        while true {
            let more = driver.fill(&sendBatch, now: localNow(sender))
            for i in 0..<sendBatch.count {
                let entry = sendBatch.entries[i]
                var bytes = [UInt8](sendBatch.head(i))
                entry.body.withUnsafeBytes { bytes.append(contentsOf: $0) }
                depart(SimulatedDatagram(sender: sender, destination: entry.destination, bytes: bytes))
            }
            sendBatch.removeAll()
            if !more { return }
        }
    }

    /// A datagram joins its sender's link queue (or is dropped when that is full).
    func depart(_ datagram: SimulatedDatagram) {
        let n = node(datagram.sender)
        let size = datagram.bytes.count
        guard let left = n.attachment.egress.enqueue(size, at: now) else {
            report.network.egressDrops += 1
            return
        }
        report.network.datagrams += 1
        report.network.bytes += UInt64(size)
        schedule(.reachSwitch(datagram), at: left + configuration.links.latency)
    }

    /// The switch copies a datagram to the port of every receiver of its destination; on
    /// the way it may be lost, duplicated or held back, and a full port buffer drops it.
    func forward(_ datagram: SimulatedDatagram) {
        let size = datagram.bytes.count
        for receiver in receivers(of: datagram.destination, from: datagram.sender) {
            if isolated[datagram.sender] != nil || isolated[receiver] != nil {
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
                    if datagram.isTransfer { report.network.transferCongestionDrops += 1 }
                    trace?("\(now) switch dropped \(datagram.summary) to \(receiver): port full")
                    continue
                }
                if copy == 1 { report.network.duplicated += 1 }
                var at = delivered
                if networkRandom.chance(faults.reorder) {
                    report.network.reordered += 1
                    at = at + networkRandom.duration(in: faults.reorderDelay)
                }
                schedule(.arrive(receiver, datagram), at: at)
            }
        }
    }

    /// The nodes a destination reaches (never the sender itself), in ascending id order: a
    /// group's members, or the node behind an endpoint.
    func receivers(of destination: Destination, from sender: NodeID) -> [NodeID] {
        switch destination {
        case .group(let group):
            return (groups[group] ?? []).filter { $0 != sender }
        case .endpoint(let e):
            guard let address = e.ipv4 else { return [] }
            let id = NodeID(address)
            return exists(id) && id != sender ? [id] : []
        }
    }

    /// A datagram reaches its receiver's driver.
    func arrive(_ datagram: SimulatedDatagram, at receiver: NodeID) {
        let n = node(receiver)
        guard n.attachment.isUp else {
            report.network.crashDrops += 1
            return
        }
        let source = endpoint(of: datagram.sender)
        if receiver.isClient {
            let c = client(receiver)
            let local = localNow(receiver)
            datagram.bytes.withUnsafeBytes { c.driver.receive($0, from: source, now: local) }
            settle(c)
        } else {
            let s = server(receiver)
            guard let driver = s.driver else { return }
            let local = localNow(receiver)
            datagram.bytes.withUnsafeBytes { driver.receive($0, from: source, now: local) }
            settle(s)
        }
    }

    /// Adds a driver's counters to the report (when its node crashes, and at the end).
    func tally<Core>(_ driver: ProtocolDriver<Core>) {
        report.network.messages += Int(driver.stats.messagesSent)
        report.network.incompleteMessages += Int(driver.stats.incompleteMessages)
        report.network.duplicatesDiscarded += Int(driver.reassemblyCounters.duplicatesDiscarded)
        report.network.foreignFragments += Int(driver.reassemblyCounters.errors(.inconsistentFragment))
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

    /// Removes a node from every group (it crashed).
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
