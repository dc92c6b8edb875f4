// swift-tools-version:6.0
import PackageDescription

// Release builds drop the dynamic exclusivity checks on class properties (a measurable
// share of every keyspace access); debug builds, which the tests run, keep them.
let releaseSettings: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "Cairn",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "cairn-server", targets: ["cairn-server"]),
        .executable(name: "cairn", targets: ["cairn"]),
        .executable(name: "cairn-fuzz", targets: ["cairn-fuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        // Byte strings, hashing, number parsing and formatting shared by every layer.
        .target(name: "CCairnNumbers"),
        .target(name: "CCairnSystem"),
        .target(name: "CairnCore", dependencies: ["CCairnNumbers"], swiftSettings: releaseSettings),
        // RESP2/RESP3 request decoding with limits, reply encoding.
        .target(name: "CairnRESP", dependencies: [
            "CairnCore",
            .product(name: "NIOCore", package: "swift-nio"),
        ], swiftSettings: releaseSettings),
        // Segmented write-ahead log: records, segments, manifest, group-commit writer, reader.
        .target(name: "CairnLog", dependencies: ["CairnCore", "CCairnSystem"], swiftSettings: releaseSettings),
        // Debian's libzstd-dev and liblz4-dev, for snapshot frames.
        .systemLibrary(name: "CZstd", path: "Sources/CZstd"),
        .systemLibrary(name: "CLZ4", path: "Sources/CLZ4"),
        // Snapshot format: writer (run in the forked child), verifying reader, codecs.
        .target(name: "CairnSnapshot", dependencies: ["CairnCore", "CairnStore", "CCairnSystem", "CZstd", "CLZ4"],
                 swiftSettings: releaseSettings),
        // The keyspace: databases, values, expiry. No I/O.
        .target(name: "CairnStore", dependencies: ["CairnCore", "CCairnSystem", "CLZ4"], swiftSettings: releaseSettings),
        // Redis's RDB encodings: lengths, strings, listpack, intset, ziplist, CRC-64; the
        // value codec of DUMP and RESTORE (and next, of whole RDB files).
        .target(name: "CairnRDB", dependencies: ["CairnCore", "CairnStore"], swiftSettings: releaseSettings),
        // Debian's Lua 5.1 (liblua5.1-0-dev, with lua-cjson-dev and lua-bitop-dev) and the C side of hosting it: the sandbox, the
        // error handler, RESP replies as Lua values; scripts are run from CairnCommands.
        .target(name: "CCairnLua", linkerSettings: [
            .linkedLibrary("lua5.1"), .linkedLibrary("lua5.1-cjson"), .linkedLibrary("lua5.1-bitop"),
        ]),
        // Command table and command families.
        .target(name: "CairnCommands", dependencies: [
            "CairnCore", "CairnStore", "CairnRESP", "CairnRDB", "CCairnLua",
            .product(name: "NIOCore", package: "swift-nio"),
        ], swiftSettings: releaseSettings),
        // NIO bootstrap, connections, configuration, INFO, lifecycle.
        .target(name: "CairnServer", dependencies: [
            "CairnCore", "CairnStore", "CairnRESP", "CairnCommands", "CairnLog", "CairnSnapshot", "CairnRDB", "CCairnSystem",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: releaseSettings),
        // The server runs on jemalloc, as Redis does: its size classes carry no per-block
        // header (glibc's malloc adds 8 bytes and rounds to 16), which is most of what a
        // small collection costs beyond its bytes (Docs/ARCHITECTURE.md, memory). Debian's
        // libjemalloc-dev, installed by Tools/setup.
        .executableTarget(name: "cairn-server", dependencies: ["CairnServer"],
                          linkerSettings: [.linkedLibrary("jemalloc")]),
        // Fuzz targets for the readers of untrusted bytes (Tools/fuzz builds them with
        // libFuzzer; the ordinary build replays files through them).
        .executableTarget(name: "cairn-fuzz", dependencies: [
            "CairnCore", "CairnRESP", "CairnLog", "CairnSnapshot", "CairnStore", "CairnRDB", "CairnCommands", "CCairnSystem",
            "CairnServer",
            .product(name: "NIOCore", package: "swift-nio"),
        ], path: "Sources/CairnFuzz"),
        .executableTarget(name: "cairn", dependencies: [
            "CairnCore", "CairnLog", "CairnSnapshot", "CairnStore", "CairnCommands", "CairnRDB",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .target(name: "CairnTestSupport", dependencies: ["CairnLog"], path: "Tests/CairnTestSupport"),
        .testTarget(name: "CairnRESPTests", dependencies: [
            "CairnRESP", "CairnCore", .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .testTarget(name: "CairnLogTests", dependencies: ["CairnLog", "CCairnSystem", "CairnTestSupport"]),
        .testTarget(name: "CairnSnapshotTests", dependencies: ["CairnSnapshot", "CairnStore", "CairnCore"]),
        .testTarget(name: "CairnStoreTests", dependencies: ["CairnStore", "CairnCore"]),
        .testTarget(name: "CairnRDBTests", dependencies: ["CairnRDB", "CairnStore", "CairnCore"]),
        .testTarget(name: "CairnCommandsTests", dependencies: [
            "CairnCommands", "CairnStore", "CairnRESP", "CairnCore", .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .testTarget(name: "CairnServerTests", dependencies: ["CairnTestSupport", "CairnServer", "CairnSnapshot", "CairnStore", "CairnCore", "CairnRDB"]),
    ],
    swiftLanguageModes: [.v6]
)
