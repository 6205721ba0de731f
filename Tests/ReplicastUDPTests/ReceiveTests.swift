import Foundation
import ReplicastTransport
import ReplicastUDP
import ReplicastWire
import Testing

@Suite struct ReceiveTests {
    @Test func wakeInterruptsABlockingReceive() throws {
        let network = TestNetwork()
        let transport = try network.transport()
        let rescuer = try network.transport()
        defer { transport.close(); rescuer.close() }
        nonisolated(unsafe) let shared = transport
        let target = transport.localEndpoint
        nonisolated(unsafe) let rescue = rescuer
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: 0.1)
            shared.wake()
            // Should wake() not work, unblock the receive anyway so the test fails, not hangs.
            Thread.sleep(forTimeInterval: 3)
            try? rescue.send([0xFF], to: .endpoint(target))
        }
        let start = ContinuousClock.now
        var handled = 0
        let count = try transport.receive(timeout: nil) { _ in handled += 1 }
        let elapsed = ContinuousClock.now - start
        #expect(count == 0)
        #expect(handled == 0)
        #expect(elapsed >= .milliseconds(90))
        #expect(elapsed < .seconds(2))
    }

    @Test func wakeBeforeReceiveMakesItReturnOnce() throws {
        let transport = try TestNetwork().transport()
        defer { transport.close() }
        transport.wake()
        transport.wake()
        let start = ContinuousClock.now
        #expect(try transport.receive(timeout: .seconds(5)) { _ in } == 0)
        #expect(ContinuousClock.now - start < .seconds(1))
        // Both wakes were consumed: the next receive waits its timeout.
        let again = ContinuousClock.now
        #expect(try transport.receive(timeout: .milliseconds(100)) { _ in } == 0)
        #expect(ContinuousClock.now - again >= .milliseconds(90))
    }

    /// Without GRO the kernel truncates into a 1472-byte slot; with GRO the slot is larger
    /// and the transport drops the oversized datagram itself.
    @Test(arguments: [false, true])
    func truncatedDatagramIsCountedAndDropped(receiveOffload: Bool) throws {
        let network = TestNetwork()
        let sender = try network.transport(maxDatagramSize: 8972)
        let receiver = try network.transport(maxDatagramSize: 1472) { $0.receiveOffload = receiveOffload }
        defer { sender.close(); receiver.close() }

        try sender.send([1], body: Payload(copying: [UInt8](repeating: 7, count: 1999)), to: .endpoint(receiver.localEndpoint))
        try sender.send([2, 3], to: .endpoint(receiver.localEndpoint))
        let received = try receiver.receive(count: 1)
        #expect(received.map(\.bytes) == [[2, 3]])
        #expect(receiver.counters.truncatedReceives == 1)
        #expect(receiver.counters.datagramsReceived == 1)
        #expect(try receiver.receiveAll().isEmpty)
    }

    @Test func timeoutIsHonoured() throws {
        let transport = try TestNetwork().transport()
        defer { transport.close() }
        let start = ContinuousClock.now
        #expect(try transport.receive(timeout: .milliseconds(120)) { _ in } == 0)
        let elapsed = ContinuousClock.now - start
        #expect(elapsed >= .milliseconds(110))
        #expect(elapsed < .seconds(2))
    }
}
