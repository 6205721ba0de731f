import Foundation
import ReplicastCore
import ReplicastRuntime
import ReplicastWire
import Testing

/// Puts and gets through a 5-node in-process cluster over real multicast: UDP on loopback, or
/// verbs on soft-RoCE in the VM (`EndToEndEnvironment`).
@Suite("Put and get over multicast", .serialized)
struct PutGetTests {
    @Test("client consensus: put then get returns the same bytes, 3 replicas per chunk", arguments: [ConsensusMode.client, .cluster])
    func putGet(consensus: ConsensusMode) throws {
        let cluster = try LocalTestCluster()
        let client = try cluster.client()
        let data = testBytes(dataSize(5 * 1024 * 1024 + 12345), seed: 7)
        let file = try temporaryFile(data, in: cluster.directory, name: "in.bin")
        let put = try client.putObject(path: file, bucket: "b", key: "k", chunkSize: chunkSize, consensus: consensus)
        #expect(put.placements.count == 6)
        for p in put.placements {
            #expect(p.servers.count >= 3)
            #expect(cluster.holders(of: p.chunk).count >= 3)
        }
        let out = cluster.directory + "/out.bin"
        let get = try client.getObject(bucket: "b", key: "k", output: out, consensus: consensus)
        #expect(get.size == UInt64(data.count))
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Data(data))
    }

    @Test(
        "verbs with send lanes: every node and the client spread their sends over 2 queue pairs; put and get, both consensus modes",
        .enabled(if: EndToEndEnvironment.isVerbs, "send lanes are a verbs transport option"),
        arguments: [ConsensusMode.client, .cluster])
    func putGetWithSendLanes(consensus: ConsensusMode) throws {
        // Replies (Payload ACKs, Get Responses) go to the queue pair a message came from,
        // a lane's included: they arrive through the shared receive queue.
        let cluster = try LocalTestCluster(transport: .verbs(device: EndToEndEnvironment.verbsDevice, gidIndex: nil, sendLanes: 2))
        let client = try cluster.client()
        let data = testBytes(dataSize(4 * 1024 * 1024 + 777), seed: 17)
        let file = try temporaryFile(data, in: cluster.directory, name: "in.bin")
        let put = try client.putObject(path: file, bucket: "b", key: "lanes", chunkSize: chunkSize, consensus: consensus)
        #expect(put.placements.count == 5)
        for p in put.placements { #expect(cluster.holders(of: p.chunk).count >= 3) }
        let out = cluster.directory + "/out.bin"
        let get = try client.getObject(bucket: "b", key: "lanes", output: out, consensus: consensus)
        #expect(get.size == UInt64(data.count))
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Data(data))
    }

    @Test("locate lists the servers holding every chunk")
    func locate() throws {
        let cluster = try LocalTestCluster()
        let client = try cluster.client()
        let file = try temporaryFile(testBytes(dataSize(3 << 20), seed: 3), in: cluster.directory, name: "f")
        let put = try client.putObject(path: file, bucket: "b", key: "loc", chunkSize: chunkSize)
        let located = try client.locateObject(bucket: "b", key: "loc")
        #expect(located.count == put.placements.count + 1)
        for (p, l) in zip(put.placements, located.dropFirst()) {
            #expect(l.chunk == p.chunk)
            #expect(l.servers == cluster.holders(of: p.chunk))
        }
        #expect(located[0].servers.count >= 3)
    }

    @Test("dedup: a second put of the same content sends no payload")
    func dedup() throws {
        let cluster = try LocalTestCluster()
        let client = try cluster.client()
        let file = try temporaryFile(testBytes(dataSize(4 << 20), seed: 11), in: cluster.directory, name: "d")
        let first = try client.putObject(path: file, bucket: "b", key: "one", chunkSize: chunkSize)
        #expect(first.deduplicated == 0)
        let second = try client.putObject(path: file, bucket: "b", key: "two", chunkSize: chunkSize)
        #expect(second.deduplicated == 4)
        // Only proposals, a manifest and acks: far less than the 4 MiB of the first put.
        #expect(second.bytesSent < first.bytesSent / 20)
    }

    @Test("get of a missing object is a clear not-found error")
    func missing() throws {
        let cluster = try LocalTestCluster()
        let client = try cluster.client()
        #expect {
            _ = try client.getObject(bucket: "b", key: "nope", output: cluster.directory + "/x")
        } throws: { error in
            "\(error)" == "object b/nope not found"
        }
        #expect(!FileManager.default.fileExists(atPath: cluster.directory + "/x"))
    }

    @Test("volunteer: a get lets a volunteer keep a copy that is not designated")
    func volunteer() throws {
        let cluster = try LocalTestCluster(volunteers: 1)
        let volunteer = NodeID(5)
        let client = try cluster.client()
        // The volunteer also stores chunks as any server does: an object of which it holds
        // every chunk (one put in ten or so) is put again, different bytes under another key.
        var key = ""
        var lacking: [HashID] = []
        for attempt in 1...4 where lacking.isEmpty {
            key = "v\(attempt)"
            let file = try temporaryFile(testBytes(dataSize(8 << 20), seed: 5 + UInt64(attempt)), in: cluster.directory, name: key)
            let put = try client.putObject(path: file, bucket: "b", key: key, chunkSize: chunkSize)
            lacking = put.placements.filter { !cluster.holders(of: $0.chunk).contains(volunteer) }.map(\.chunk)
        }
        try #require(!lacking.isEmpty)
        let get = try client.getObject(bucket: "b", key: key, output: cluster.directory + "/v.out")
        #expect(get.volunteered >= lacking.count)
        for chunk in lacking {
            #expect(eventually { cluster.holders(of: chunk).contains(volunteer) })
            #expect(cluster.nodes[volunteer]?.store.chunk(chunk)?.role == .volunteer)
        }
    }
}
