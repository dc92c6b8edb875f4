import CairnCommands
import CairnCore
import CairnLog
import CairnRDB
import CairnRESP
import CairnServer
import CairnSnapshot
import CairnStore
import CCairnSystem
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// The readers of untrusted bytes, as fuzz targets: what a client sends (the RESP
/// decoder), what is on disk (log records and their effects, snapshot frames) and what
/// RESTORE is given (DUMP payloads), and what an operator writes (config files, aclfiles). Each must answer any input with a value or an error:
/// a crash, a trap or a hang is a bug. Tools/fuzz builds this with libFuzzer
/// (-sanitize=fuzzer, -D FUZZING; CAIRN_FUZZ_TARGET picks the target); the ordinary build
/// is `cairn-fuzz TARGET FILE...`, which runs files through a target (the corpus under
/// Fixtures/fuzz, replayed by the tests).
enum FuzzTarget: String, CaseIterable {
    case resp, log, effects, snapshot, dump, rdb, config

    func run(_ input: UnsafeRawBufferPointer) {
        switch self {
        case .resp: Self.resp(input)
        case .log: Self.log(input)
        case .effects: _ = try? EffectCodec.decode(Array(input))
        case .snapshot: Self.snapshot(input)
        case .dump: Self.dump(input)
        case .rdb: Self.rdb(input)
        case .config: Self.config(input)
        }
    }

    /// Requests decoded until the input runs out or is refused, with limits small enough
    /// that the limit paths are reached too.
    static func resp(_ input: UnsafeRawBufferPointer) {
        var limits = RESPLimits()
        limits.bulkBytesMax = 1 << 16
        limits.queryBufferBytesMax = 1 << 18
        limits.inlineBytesMax = 1 << 12
        var decoder = RESPRequestDecoder(limits: limits)
        var buffer = ByteBufferAllocator().buffer(capacity: input.count)
        buffer.writeBytes(input)
        while let request = try? decoder.decode(buffer: &buffer), request != nil {}
    }

    /// A segment: its header, then its records read in order (in the header's format, or
    /// in both from the start when the header is refused), and each payload's effects.
    static func log(_ input: UnsafeRawBufferPointer) {
        var starts: [(version: UInt32, offset: Int)] = [(1, 0), (Segment.version, 0)]
        if case .success(let header) = Segment.parseHeader(input) { starts = [(header.version, header.byteCount)] }
        for (version, start) in starts {
            var offset = start
            while offset < input.count, case .record(let record, let next) = LogRecord.read(input, at: offset, version: version) {
                _ = try? EffectCodec.decode(record.payload)
                guard next > offset else { break }
                offset = next
            }
        }
    }

    /// A well-formed snapshot file (header, trailer and checksums right) around one frame
    /// the input makes: its first byte picks the codec, the next four the raw length, the
    /// rest is the stored frame. So the fuzzer reaches the decompressors and the record
    /// decoder instead of stopping at a checksum.
    static func snapshot(_ input: UnsafeRawBufferPointer) {
        guard input.count >= 5 else { return }
        let codec = input[0] % 3
        // At most 1 MiB raw (a frame's target size): larger claims only cost allocation.
        var rawLength = UInt32(input[1]) | UInt32(input[2]) << 8 | UInt32(input[3] & 0x0F) << 16
        let stored = Array(input[5...])
        if codec == 0 { rawLength = UInt32(stored.count) }
        var file = SnapshotFormat.magic
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { file += $0 } }
        func crc(_ bytes: [UInt8]) -> UInt32 { bytes.withUnsafeBytes { cairn_crc32c(0, $0.baseAddress, $0.count) } }
        put(SnapshotFormat.version); file += [codec, 0]
        put(UInt64(1)); put(UInt64(0)); put(UInt32(2))
        put(crc(file))
        file.append(UInt8(ascii: "F")); put(rawLength); put(UInt32(stored.count)); put(crc(stored))
        file += stored
        file.append(UInt8(ascii: "E")); put(UInt64(1)); put(UInt64(1)); put(UInt64(rawLength))
        put(crc(file))
        guard let reader = try? SnapshotReader(path: "fuzz", bytes: file) else { return }
        let keyspace = Keyspace(databaseCount: 2, seed: 1)
        _ = try? reader.load(into: keyspace, limits: CollectionLimits(), maxKeys: 10_000)
    }

    /// The input as a DUMP payload body, sealed with RDB version 10 and its CRC-64 so that
    /// the value decoder, not the checksum, is what answers.
    static func dump(_ input: UnsafeRawBufferPointer) {
        let payload = DumpPayload.sealed(Array(input))
        guard DumpPayload.verify(payload) else { return }
        _ = try? DumpPayload.value(of: payload, limits: CollectionLimits())
    }
}

extension FuzzTarget {
    /// The input as the body of an RDB file (after "REDIS0010", before EOF), with the
    /// CRC-64 made right, so that the opcode and object readers answer (cairn import).
    static func rdb(_ input: UnsafeRawBufferPointer) {
        var file = Array("REDIS0010".utf8) + Array(input) + [0xFF]
        let crc = CRC64.checksum(file)
        for i in 0..<8 { file.append(UInt8(truncatingIfNeeded: crc >> (8 * UInt64(i)))) }
        var keys = 0
        _ = try? RDBFile.read(file, limits: CollectionLimits()) { _, _ in
            keys += 1
            if keys > 100_000 { throw RDBError("enough") }
        }
    }
}

extension FuzzTarget {
    /// The same text as a config file (every directive's checks, then its `user` lines'
    /// rules) and as an aclfile.
    static func config(_ input: UnsafeRawBufferPointer) {
        let text = String(decoding: input, as: UTF8.self)
        var config = ServerConfig()
        try? ConfigLoader.apply(text, to: &config)
        for words in config.userDirectives { _ = aclUsers.validate(words.dropFirst().map { Bytes($0) }) }
        _ = aclUsers.load(text: text, file: "fuzz.acl")
    }

    /// One set of users for every input (ACL LOAD replaces them all each time).
    nonisolated(unsafe) static let aclUsers = CommandContext(keyspace: Keyspace(databaseCount: 1),
                                                             session: ClientSession(id: 0, nowMs: 0)).users
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let target = FuzzTarget(rawValue: getenv("CAIRN_FUZZ_TARGET").map { String(cString: $0) } ?? "") ?? .resp
    target.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

/// SwiftPM links an executable with `main` defined as the module's entry point, so
/// libFuzzer's own main is not used: this entry point hands the arguments to its driver.
@_cdecl("cairn_fuzz_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var values = argv
    return LLVMFuzzerRunDriver(&count, &values) { data, size in fuzzOneInput(data, size) }
}
#else
/// `cairn-fuzz TARGET FILE...`: runs each file (or every file of a directory) through the
/// target; exits 0 when all were answered.
@main
struct CairnFuzzReplay {
    static func main() {
        let args = CommandLine.arguments
        guard args.count >= 3, let target = FuzzTarget(rawValue: args[1]) else {
            print("usage: cairn-fuzz \(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")) FILE|DIR...")
            exit(2)
        }
        var count = 0
        for path in args[2...] {
            for file in files(path) {
                let bytes = read(file)
                bytes.withUnsafeBytes { target.run($0) }
                count += 1
            }
        }
        print("\(target.rawValue): \(count) inputs answered")
    }

    static func files(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [path] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if !name.hasPrefix(".") { names.append(path + "/" + name) }
        }
        return names.sorted()
    }

    static func read(_ path: String) -> [UInt8] {
        guard let f = fopen(path, "rb") else { return [] }
        defer { fclose(f) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n <= 0 { break }
            out += chunk[0..<n]
        }
        return out
    }
}
#endif
