#if canImport(CIBVerbs)
import CIBVerbs
import Testing

/// The verbs flag enums import as option sets through `CIBVerbs.apinotes`, with the values
/// of the verbs ABI (runs on any machine: no device needed).
@Suite struct FlagOptionSetTests {
    @Test("send, access and completion flags are option sets with the ABI's bit values")
    func optionSets() {
        let send: ibv_send_flags = [.signaled, .inline]
        #expect(send.rawValue == (1 << 1) | (1 << 3))
        #expect(send.contains(.signaled) && !send.contains(.fence))
        #expect(ibv_access_flags.localWrite.rawValue == 1)
        #expect(ibv_access_flags([.localWrite, .remoteWrite, .remoteRead]).rawValue == 0b111)
        #expect(ibv_wc_flags(rawValue: 1).contains(.grh))
        #expect(!ibv_wc_flags(rawValue: 2).contains(.grh))
        #expect(ibv_wc_flags(rawValue: 2).contains(.withImmediate))
    }

    @Test("the queue pair attribute mask a send lane's transitions use has the ABI's bit values")
    func queuePairAttributeMask() {
        let initState: ibv_qp_attr_mask = [.state, .pkeyIndex, .port, .qkey]
        #expect(initState.rawValue == 1 | (1 << 4) | (1 << 5) | (1 << 6))
        #expect(ibv_qp_attr_mask.sendPSN.rawValue == 1 << 16)
    }
}
#endif
