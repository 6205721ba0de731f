// swift-tools-version:6.1
import PackageDescription

// Linux only. The UDP transport and the runtime use Glibc, and the verbs transport needs
// libibverbs and librdmacm (Deploy/install-deps.sh installs them). SwiftPM has no platform
// entry for Linux (`platforms:` sets minimum Apple OS versions), so there is none below.
//
// Module layout (abstractions apart from implementations, as in NIOCore / NIOPosix):
//
//   ReplicastWire       the wire protocol: identifiers, messages, codec, fragmentation (pure, no deps)
//   ReplicastCore       the sans-I/O protocol core: allocation table, put/get state machines, scheduling
//   ReplicastTransport  the transport interface: groups, datagrams, registered buffers, completions
//   ReplicastUDP        the UDP fallback transport (sockets, sendmmsg/recvmmsg)
//   ReplicastVerbs      the verbs transport (UD queue pairs, rdma_cm multicast), Linux only
//   ReplicastDriver     the sans-I/O layer between core and transport: fragments, reassembly, pacing, routing
//   ReplicastStore      the persistent, content-addressed chunk store
//   ReplicastRuntime    drives the core over a transport and a store: node and client event loops
//   ReplicastSimulator  the core on virtual time: a network with loss, buffers and crashes
//   ReplicastCommandLine options the executables share (transport choice, log level)
//   replicast-node      the storage node executable
//   replicast           the command-line client (put, get, locate, local-cluster)
//   replicast-bench     benchmarks (Benchmarks/), results in Benchmarks/results/
let linux = TargetDependencyCondition.when(platforms: [.linux])

let package = Package(
    name: "replicast",
    products: [
        .executable(name: "replicast-node", targets: ["replicast-node"]),
        .executable(name: "replicast", targets: ["replicast"]),
        .executable(name: "replicast-bench", targets: ["replicast-bench"]),
        .library(name: "ReplicastWire", targets: ["ReplicastWire"]),
        .library(name: "ReplicastCore", targets: ["ReplicastCore"]),
        .library(name: "ReplicastTransport", targets: ["ReplicastTransport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "5.0.1"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
    ],
    targets: [
        // The protocol: pure Swift, no dependencies (the fuzzer compiles it alone).
        .target(name: "ReplicastWire"),
        .target(
            name: "ReplicastCore",
            dependencies: ["ReplicastWire", .product(name: "Crypto", package: "swift-crypto")]
        ),

        // Transport interface and its implementations.
        .target(name: "ReplicastTransport", dependencies: ["ReplicastWire"]),
        .target(name: "CReplicastSystem", cSettings: [.define("_GNU_SOURCE")]),
        .target(
            name: "ReplicastUDP",
            dependencies: [
                "ReplicastTransport", "CReplicastSystem",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .systemLibrary(
            name: "CIBVerbs",
            pkgConfig: "libibverbs",
            providers: [.apt(["libibverbs-dev", "librdmacm-dev"])]
        ),
        .target(
            name: "CVerbsShim",
            dependencies: [.target(name: "CIBVerbs", condition: linux)],
            cSettings: [.define("_GNU_SOURCE")]
        ),
        .target(
            name: "ReplicastVerbs",
            dependencies: [
                "ReplicastTransport",
                .target(name: "CVerbsShim", condition: linux),
                .target(name: "CIBVerbs", condition: linux),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),

        // The layer between a core and a transport that node, client and simulator all run:
        // fragmentation, reassembly, pacing, routing, one next deadline.
        .target(
            name: "ReplicastDriver",
            dependencies: [
                "ReplicastCore", "ReplicastWire", "ReplicastTransport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Storage and the runtime that ties everything together.
        .target(
            name: "ReplicastStore",
            dependencies: [
                "ReplicastWire", "ReplicastCore",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .target(
            name: "ReplicastRuntime",
            dependencies: [
                "ReplicastWire", "ReplicastCore", "ReplicastDriver", "ReplicastTransport", "ReplicastUDP",
                "ReplicastVerbs", "ReplicastStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // The deterministic simulator: the protocol core over a virtual network and clock.
        .target(
            name: "ReplicastSimulator",
            dependencies: ["ReplicastCore", "ReplicastDriver", "ReplicastTransport", "ReplicastWire"]
        ),
        .target(
            name: "ReplicastCommandLine",
            dependencies: [
                "ReplicastRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "replicast-node",
            dependencies: [
                "ReplicastRuntime", "ReplicastCommandLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "replicast",
            dependencies: [
                "ReplicastRuntime", "ReplicastSimulator", "ReplicastCommandLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "replicast-bench",
            dependencies: [
                "ReplicastWire", "ReplicastCore", "ReplicastTransport", "ReplicastUDP",
                "ReplicastVerbs", "ReplicastRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/replicast-bench"
        ),

        // Tests (Swift Testing).
        .testTarget(
            name: "ReplicastWireTests",
            dependencies: ["ReplicastWire", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(name: "ReplicastCoreTests", dependencies: ["ReplicastCore", "ReplicastWire"]),
        .testTarget(
            name: "ReplicastSimulatorTests", dependencies: ["ReplicastSimulator", "ReplicastCore", "ReplicastWire"]
        ),
        .testTarget(name: "ReplicastUDPTests", dependencies: ["ReplicastUDP", "ReplicastTransport"]),
        .testTarget(name: "ReplicastVerbsTests", dependencies: ["ReplicastVerbs", "ReplicastTransport"]),
        .testTarget(name: "ReplicastStoreTests", dependencies: ["ReplicastStore", "ReplicastCore"]),
        .testTarget(
            name: "ReplicastEndToEndTests",
            dependencies: [
                "ReplicastRuntime", "ReplicastCore", "ReplicastDriver", "ReplicastStore", "ReplicastTransport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)
