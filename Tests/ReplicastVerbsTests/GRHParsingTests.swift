import ReplicastTransport
import Testing
@testable import ReplicastVerbs

/// How a sender's GID is read from the 40 bytes before a received UD datagram.
@Suite struct GRHParsingTests {
    @Test func roceV2OverIPv4TakesTheIPv4SourceAddress() {
        var grh = [UInt8](repeating: 0, count: 40)
        grh[20] = 0x45  // IPv4, 20-byte header, in the last 20 bytes
        grh[32...35] = [10, 9, 0, 7]  // source
        grh[36...39] = [239, 1, 2, 3]  // destination
        let gid = grh.withUnsafeBytes { VerbsTransport.sourceGID(grh: $0.baseAddress!, hasGRH: true) }
        #expect(gid == GID(ipv4: 0x0A09_0007))
        #expect(gid.ipv4 == 0x0A09_0007)
        #expect(Endpoint(address: gid.words, selector: 17).description == "10.9.0.7:17")
    }

    @Test func ipv6GRHTakesTheSourceGID() {
        var grh = [UInt8](repeating: 0, count: 40)
        grh[0] = 0x60
        let source: [UInt8] = [0xFE, 0x80, 0, 0, 0, 0, 0, 0, 0x28, 0x61, 0xD6, 0xFF, 0xFE, 0x59, 0xE6, 0x10]
        grh[8..<24] = source[...]
        let gid = grh.withUnsafeBytes { VerbsTransport.sourceGID(grh: $0.baseAddress!, hasGRH: true) }
        #expect(gid.words.0 == 0xFE80_0000_0000_0000)
        #expect(gid.words.1 == 0x2861_D6FF_FE59_E610)
        #expect(gid.ipv4 == nil)
        var back = [UInt8](repeating: 0, count: 16)
        back.withUnsafeMutableBytes { gid.store(to: $0.baseAddress!) }
        #expect(back == source)
    }

    @Test func noGRHGivesTheZeroGID() {
        let grh = [UInt8](repeating: 0x60, count: 40)
        let gid = grh.withUnsafeBytes { VerbsTransport.sourceGID(grh: $0.baseAddress!, hasGRH: false) }
        #expect(gid.isZero)
    }
}
