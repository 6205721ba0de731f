import Foundation
import ReplicastCore
import ReplicastRuntime
import ReplicastTransport
import ReplicastWire
import Testing

/// Faults over real multicast (UDP on loopback, or verbs on soft-RoCE): a corrupted fragment,
/// a client's transport failing for good, a full store, a node stopped during a put, and a
/// restart of every node.
@Suite("Failures over multicast", .serialized)
struct FailureTests {
    @Test("a corrupted fragment is NAKed, the put is retried and the data is correct")
    func corruptedFragment() throws {
        let cluster = try LocalTestCluster()
        let inner = try cluster.transport.open(cluster: cluster.configuration, unicastPort: 0)
        let corrupting = CorruptingTransport(inner)
        let client = try ReplicastClient(
            cluster: cluster.configuration, transport: corrupting)
        let data = testBytes(dataSize(1 << 20), seed: 21)
        let receipt = try client.putChunk(Payload(copying: data))
        #expect(corrupting.corrupted == 1)
        #expect(receipt.attempts >= 2)
        #expect(receipt.storedOn.count + receipt.alreadyStored.count >= 3)
        let naks = cluster.nodes.values.map(\.stats.naks).reduce(0, +)
        #expect(naks >= 1)
        let back = try client.getChunk(.content(receipt.contentHash))
        #expect(back.payload.bytes == data)
    }

    @Test("a client whose transport fails for good ends its puts and gets with that failure, not with retries")
    func clientTransportFailure() throws {
        let cluster = try LocalTestCluster()
        let transport = try cluster.transport.open(cluster: cluster.configuration, unicastPort: 0)
        let client = try ReplicastClient(cluster: cluster.configuration, transport: transport)
        let stored = try client.putChunk(Payload(copying: testBytes(dataSize(256 << 10), seed: 23)))
        // Closed under the client, as a removed device leaves it: every call fails for good.
        transport.close()
        #expect {
            _ = try client.putChunk(Payload(copying: testBytes(4096, seed: 24)))
        } throws: { error in
            guard case PutError.transportFailed(let why) = error else { return false }
            return why.contains("closed")
        }
        #expect {
            _ = try client.getChunk(.content(stored.contentHash))
        } throws: { error in
            guard case GetError.transportFailed = error else { return false }
            return true
        }
    }

    @Test("a full store answers Not Now and the chunks are placed elsewhere")
    func fullStore() throws {
        let cluster = try LocalTestCluster(quotas: [1: dataSize(256 << 10), 2: dataSize(256 << 10)])
        let client = try cluster.client()
        let file = try temporaryFile(testBytes(dataSize(4 << 20), seed: 31), in: cluster.directory, name: "full")
        let put = try client.putObject(path: file, bucket: "b", key: "full", chunkSize: chunkSize)
        for p in put.placements {
            #expect(p.servers.count >= 3)
            #expect(!p.servers.contains(NodeID(1)) && !p.servers.contains(NodeID(2)))
        }
        #expect(cluster.nodes[NodeID(1)]!.stats.notNow > 0)
        let out = cluster.directory + "/full.out"
        _ = try client.getObject(bucket: "b", key: "full", output: out)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Data(contentsOf: URL(fileURLWithPath: file)))
    }

    @Test("a node stopped during a put: the put still reaches 3 replicas, the object reads back")
    func nodeStoppedDuringPut() throws {
        let cluster = try LocalTestCluster()
        let client = try cluster.client()
        let data = testBytes(dataSize(24 << 20), seed: 41)
        let file = try temporaryFile(data, in: cluster.directory, name: "kill")
        let victim = NodeID(2)
        let stopper = Thread { usleep(30_000); cluster.stop(victim) }
        stopper.start()
        let put = try client.putObject(path: file, bucket: "b", key: "kill", chunkSize: chunkSize)
        for p in put.placements { #expect(p.servers.count >= 3) }
        #expect(eventually { cluster.nodes[victim] == nil })
        let out = cluster.directory + "/kill.out"
        _ = try client.getObject(bucket: "b", key: "kill", output: out)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Data(data))
    }

    @Test("after a restart of every node, every acknowledged object is readable")
    func restartAll() throws {
        let cluster = try LocalTestCluster()
        let client = try cluster.client()
        let data = testBytes(dataSize(3 << 20), seed: 51)
        let file = try temporaryFile(data, in: cluster.directory, name: "r")
        _ = try client.putObject(path: file, bucket: "b", key: "r", chunkSize: chunkSize, consensus: .cluster)
        cluster.stopAll()
        for s in cluster.configuration.servers { try cluster.start(NodeID(s.id)) }
        let fresh = try cluster.client()
        let out = cluster.directory + "/r.out"
        _ = try fresh.getObject(bucket: "b", key: "r", output: out)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Data(data))
    }
}

/// A client whose allocation table is older than the cluster's is told, and fails clearly.
@Suite("Stale table generation")
struct StaleGenerationTests {
    @Test("servers answer a stale proposal with the current generation; the put fails with that reason")
    func staleClient() throws {
        let cluster = try LocalTestCluster()
        var old = cluster.configuration
        old.generation -= 1
        let client = try ReplicastClient(cluster: old, transport: cluster.transport)
        #expect(throws: PutError.staleTable(current: cluster.configuration.generation)) {
            _ = try client.putChunk(Payload(copying: testBytes(4096, seed: 71)))
        }
        #expect(cluster.nodes.values.map(\.stats.staleMessages).reduce(0, +) >= 1)
    }
}
