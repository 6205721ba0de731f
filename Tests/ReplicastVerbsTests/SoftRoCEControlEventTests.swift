import Dispatch
import Foundation
import ReplicastTransport
@testable import ReplicastVerbs
import ReplicastWire
import Testing

/// The rdma_cm event thread on a real device: teardown with joins done or in flight, and
/// what the transport does with the failures the thread reports (reported here through the
/// same table calls the thread makes: rxe cannot be made to drop a group or lose its device).
extension SoftRoCETests {
    /// Whether `body`, run on a thread of its own, returns within `seconds`.
    static func finishes(within seconds: Double, _ body: @escaping @Sendable () -> Void) -> Bool {
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            body()
            done.signal()
        }
        return done.wait(timeout: .now() + seconds) == .success
    }

    @Test func closeReturnsRightAfterJoinsAndWithAJoinInFlight() throws {
        let groups = (0..<UInt8(4)).map { GroupAddress(ipv4: 239, 1, 5, $0, port: 0) }

        // Joined (each event handled and acknowledged by the thread), then closed at once.
        let joined = try Self.makeTransport()
        for g in groups { try joined.join(g) }
        #expect(Self.finishes(within: 10) { joined.close() }, "close after joins did not return")

        // Joins posted without waiting: their events reach the thread while close runs.
        let inFlight = try Self.makeTransport()
        for g in groups { try inFlight.cmId!.joinMulticast(ipv4: g.ipv4!) }
        #expect(Self.finishes(within: 10) { inFlight.close() }, "close with joins in flight did not return")

        // Nothing of either stays behind: a new transport joins the same groups and hears them.
        let sender = try Self.makeTransport()
        let member = try Self.makeTransport()
        defer { sender.close(); member.close() }
        var batch = SendBatch(maxDatagrams: 8)
        for (s, g) in groups.enumerated() {
            try sender.join(g)
            try member.join(g)
            TestDatagram.append(&batch, to: .group(g), kind: .multicast, sequence: UInt32(s), body: .empty)
        }
        try sender.send(&batch)
        let got = try Self.collect(member, kind: .multicast, count: groups.count)
        print("verbs close: returned after 4 joins and with 4 joins in flight; a new member then received "
            + "\(got.good.count) of \(groups.count)")
        #expect(Set(got.good.map(\.sequence)) == Set(0..<UInt32(groups.count)))
    }

    @Test func aGroupTheFabricDroppedRefusesSendsUntilJoinedAnew() throws {
        let dropped = GroupAddress(ipv4: 239, 1, 6, 1, port: 0)
        let sender = try Self.makeTransport()
        let member = try Self.makeTransport()
        defer { sender.close(); member.close() }
        try sender.join(dropped)
        try member.join(dropped)

        // What the event thread does on RDMA_CM_EVENT_MULTICAST_ERROR for a joined group.
        sender.controlEvents.failed(dropped.ipv4!, CMEventFailure(
            reason: "multicast join failed", event: "RDMA_CM_EVENT_MULTICAST_ERROR", status: -101))
        var batch = SendBatch(maxDatagrams: 8)
        TestDatagram.append(&batch, to: .group(group), kind: .multicast, sequence: 1, body: .empty)
        TestDatagram.append(&batch, to: .group(dropped), kind: .multicast, sequence: 2, body: .empty)
        do {
            try sender.send(&batch)
            Issue.record("send to a dropped group succeeded")
        } catch {
            #expect(error.operation == "send")
            #expect(error.reason == "multicast group 239.1.6.1 left by the fabric: RDMA_CM_EVENT_MULTICAST_ERROR, status -101")
            #expect(error.code == 101)
        }
        #expect(sender.counters.datagramsSent == 0)  // nothing of the batch went out

        // Joining it again leaves and rejoins (through the thread); sends go through again.
        try sender.join(dropped)
        #expect(!sender.controlEvents.hasFailures)
        batch.removeAll()
        TestDatagram.append(&batch, to: .group(dropped), kind: .multicast, sequence: 3, body: .empty)
        try sender.send(&batch)
        let got = try Self.collect(member, kind: .multicast, count: 1)
        #expect(got.good.map(\.sequence) == [3])
    }

    @Test func aRemovedDeviceFailsEveryCallButLeaveAndClose() throws {
        let transport = try Self.makeTransport()
        defer { transport.close() }
        try transport.join(group)

        // What the event thread does on RDMA_CM_EVENT_DEVICE_REMOVAL.
        transport.controlEvents.transportFailed(CMEventFailure(
            reason: "the RDMA device was removed", event: "RDMA_CM_EVENT_DEVICE_REMOVAL", status: 0))
        let expected = "\(transport.deviceName): the RDMA device was removed: RDMA_CM_EVENT_DEVICE_REMOVAL, status 0"
        var batch = SendBatch(maxDatagrams: 4)
        TestDatagram.append(&batch, to: .group(group), kind: .multicast, sequence: 1, body: .empty)
        let sendError = #expect(throws: TransportError.self) { try transport.send(&batch) }
        let receiveError = #expect(throws: TransportError.self) { _ = try transport.receive(timeout: .zero) { _ in } }
        let joinError = #expect(throws: TransportError.self) {
            try transport.join(GroupAddress(ipv4: 239, 1, 6, 2, port: 0))
        }
        for error in [sendError, receiveError, joinError] {
            #expect(error?.reason == expected)
            #expect(error?.code == nil)
        }
        #expect(transport.counters.datagramsSent == 0)
        try transport.leave(group)
        #expect(Self.finishes(within: 10) { transport.close() }, "close after a device failure did not return")
    }
}
