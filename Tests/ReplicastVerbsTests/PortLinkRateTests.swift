import ReplicastVerbs
import Testing

/// A verbs port's data rate from `active_speed` × `active_width` (`ibv_query_port`): what a
/// node's link allocations are split from when the cluster file does not give its rate.
@Suite struct PortLinkRateTests {
    @Test("speed codes × lane counts, after line encoding")
    func rates() {
        #expect(PortLinkRate.bitsPerSecond(speed: 1, width: 1) == 2_000_000_000)  // SDR 1x
        #expect(PortLinkRate.bitsPerSecond(speed: 4, width: 2) == 32_000_000_000)  // QDR 4x
        #expect(PortLinkRate.bitsPerSecond(speed: 32, width: 2) == 100_000_000_000)  // EDR 4x
        #expect(PortLinkRate.bitsPerSecond(speed: 64, width: 2) == 200_000_000_000)  // HDR 4x
        #expect(PortLinkRate.bitsPerSecond(speed: 128, width: 16) == 200_000_000_000)  // NDR 2x
        #expect(PortLinkRate.bitsPerSecond(speed: 8, width: 8) == 120_000_000_000)  // FDR10 12x
    }

    @Test("an unknown code gives no rate (the node falls back to its configuration)")
    func unknown() {
        #expect(PortLinkRate.bitsPerSecond(speed: 3, width: 1) == nil)
        #expect(PortLinkRate.bitsPerSecond(speed: 1, width: 3) == nil)
        #expect(PortLinkRate.bitsPerSecond(speed: 0, width: 0) == nil)
    }
}
