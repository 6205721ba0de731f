import ReplicastTransport
import ReplicastVerbs
import Testing

/// On a machine without RDMA (the host kernel has none) the transport refuses plainly.
@Suite(.enabled(if: !VerbsTestEnvironment.shouldRun, "a verbs device is present"))
struct NoDeviceTests {
    @Test func initializerThrowsNoRDMADeviceFound() {
        #expect(VerbsTransport.deviceNames().isEmpty)
        do {
            _ = try VerbsTransport()
            Issue.record("VerbsTransport() succeeded without a device")
        } catch {
            #expect(error.reason.hasPrefix("no RDMA device found"))
        }
    }
}
