import Foundation
import Testing
@testable import ReplicastVerbs

/// The table the rdma_cm event thread and a transport's driving thread share: joins completed,
/// failed or timed out, groups dropped after they were joined, a failed transport. Runs on
/// any machine (no device needed); the event thread's side is called from another thread
/// where the timing matters.
@Suite struct CMEventTableTests {
    let group: UInt32 = 0xEF01_0203  // 239.1.2.3
    let other: UInt32 = 0xEF01_0204
    let multicastError = CMEventFailure(
        reason: "multicast join failed", event: "RDMA_CM_EVENT_MULTICAST_ERROR", status: -101)
    let removal = CMEventFailure(reason: "the RDMA device was removed", event: "RDMA_CM_EVENT_DEVICE_REMOVAL", status: 0)

    /// Runs `body` on another thread after `delay`.
    static func later(_ delay: TimeInterval, _ body: @escaping @Sendable () -> Void) {
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: delay)
            body()
        }
    }

    @Test func aJoinEventFromAnotherThreadCompletesTheWaitingJoin() {
        let table = CMEventTable<Int>()
        table.expectJoin(group)
        let group = group, other = other
        Self.later(0.1) {
            table.joined(other, 1)  // another group's event completes nothing here
            table.joined(group, 42)
        }
        let start = ContinuousClock.now
        let outcome = table.awaitJoin(group, timeout: .seconds(10))
        let waited = ContinuousClock.now - start
        #expect(outcome == .joined(42))
        #expect(waited >= .milliseconds(90))
        #expect(waited < .seconds(5))
        #expect(!table.hasFailures)
    }

    @Test func aMulticastErrorFailsThePendingJoin() {
        let table = CMEventTable<Int>()
        table.expectJoin(group)
        table.failed(group, multicastError)
        let start = ContinuousClock.now
        #expect(table.awaitJoin(group, timeout: .seconds(10)) == .failed(multicastError))
        #expect(ContinuousClock.now - start < .seconds(5))
        // The failed join did not make a member: a later error for the group is ignored.
        table.failed(group, multicastError)
        #expect(table.droppedGroup(group) == nil)
        #expect(!table.hasFailures)
    }

    @Test func aJoinWithoutAnEventTimesOutAndALateEventIsIgnored() {
        let table = CMEventTable<Int>()
        table.expectJoin(group)
        let start = ContinuousClock.now
        #expect(table.awaitJoin(group, timeout: .milliseconds(150)) == nil)
        let waited = ContinuousClock.now - start
        #expect(waited >= .milliseconds(140))
        #expect(waited < .seconds(5))
        // The late event finds no pending join; the next join of the group waits for its own.
        table.joined(group, 7)
        table.expectJoin(group)
        #expect(table.awaitJoin(group, timeout: .milliseconds(50)) == nil)
        // A cancelled join is not waited for.
        table.expectJoin(group)
        table.cancelJoin(group)
        table.joined(group, 8)
        #expect(table.awaitJoin(group, timeout: .seconds(10)) == nil)
    }

    @Test func anErrorForAJoinedGroupMarksItDroppedUntilForgotten() {
        let table = CMEventTable<Int>()
        table.expectJoin(group)
        table.joined(group, 1)
        #expect(table.awaitJoin(group, timeout: .seconds(1)) == .joined(1))
        table.failed(other, multicastError)  // not a member: ignored
        #expect(!table.hasFailures)
        #expect(table.droppedGroup(other) == nil)

        table.failed(group, multicastError)
        #expect(table.hasFailures)
        #expect(table.droppedGroup(group) == multicastError)
        #expect(table.droppedGroup(other) == nil)
        #expect(table.transportFailure == nil)

        table.forget(group)
        #expect(table.droppedGroup(group) == nil)
        #expect(!table.hasFailures)
        table.failed(group, multicastError)  // left: no longer a member
        #expect(table.droppedGroup(group) == nil)
    }

    @Test func rejoiningADroppedGroupClearsTheDrop() {
        let table = CMEventTable<Int>()
        table.expectJoin(group)
        table.joined(group, 1)
        _ = table.awaitJoin(group, timeout: .seconds(1))
        table.failed(group, multicastError)
        #expect(table.droppedGroup(group) != nil)
        table.expectJoin(group)
        table.joined(group, 2)
        #expect(table.awaitJoin(group, timeout: .seconds(1)) == .joined(2))
        #expect(table.droppedGroup(group) == nil)
        #expect(!table.hasFailures)
    }

    @Test func aTransportFailureFailsPendingAndLaterJoinsAtOnce() {
        let table = CMEventTable<Int>()
        table.expectJoin(group)
        let removal = removal
        Self.later(0.05) { table.transportFailed(removal) }
        let start = ContinuousClock.now
        #expect(table.awaitJoin(group, timeout: .seconds(10)) == .failed(removal))
        #expect(ContinuousClock.now - start < .seconds(5))
        #expect(table.hasFailures)
        #expect(table.transportFailure == removal)

        // The first failure stays; a join after it fails without waiting.
        table.transportFailed(CMEventFailure(reason: "the local address changed", event: "RDMA_CM_EVENT_ADDR_CHANGE", status: 0))
        #expect(table.transportFailure == removal)
        table.expectJoin(other)
        #expect(table.awaitJoin(other, timeout: .zero) == .failed(removal))
    }

    @Test func failureTextNamesTheEventAndTheErrno() {
        #expect(multicastError.description == "multicast join failed: RDMA_CM_EVENT_MULTICAST_ERROR, status -101")
        #expect(multicastError.eventAndStatus == "RDMA_CM_EVENT_MULTICAST_ERROR, status -101")
        #expect(multicastError.errorCode == 101)
        #expect(removal.errorCode == nil)
    }
}

extension JoinOutcome: Equatable where Parameters: Equatable {
    public static func == (a: JoinOutcome, b: JoinOutcome) -> Bool {
        switch (a, b) {
        case (.joined(let x), .joined(let y)): return x == y
        case (.failed(let x), .failed(let y)): return x == y
        default: return false
        }
    }
}
