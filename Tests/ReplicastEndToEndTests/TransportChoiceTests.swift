import ReplicastRuntime
import Testing

/// `--transport` and its verbs options, as `replicast-node` and `replicast` parse them.
@Suite struct TransportChoiceTests {
    @Test func verbsTakesItsOptionsAndDefaultsToOneSendLane() throws {
        #expect(try TransportChoice(name: "verbs", device: "rxe0", gidIndex: 1, sendLanes: 2)
            == .verbs(device: "rxe0", gidIndex: 1, sendLanes: 2))
        #expect(try TransportChoice(name: "verbs", device: nil, gidIndex: nil) == .verbs(device: nil, gidIndex: nil, sendLanes: 1))
        #expect(TransportChoice.verbs(device: "rxe0", gidIndex: nil, sendLanes: 2).description == "verbs(rxe0, 2 send lanes)")
        #expect(try TransportChoice(name: "udp", device: nil, gidIndex: nil) == .udp)
    }

    @Test func badCombinationsAreRefusedWithTheirReason() {
        for (name, device, gidIndex, lanes, reason) in [
            ("udp", "rxe0", nil, nil, "apply to --transport verbs"),
            ("udp", nil, nil, 2, "apply to --transport verbs"),
            ("verbs", nil, nil, 0, "at least 1"),
            ("tcp", nil, nil, nil, "unknown transport"),
        ] as [(String, String?, Int?, Int?, String)] {
            #expect {
                _ = try TransportChoice(name: name, device: device, gidIndex: gidIndex, sendLanes: lanes)
            } throws: { "\($0)".contains(reason) }
        }
    }
}
