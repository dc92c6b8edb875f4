import CairnTestSupport
import Foundation
import XCTest

/// The fuzz targets (Sources/CairnFuzz): the committed corpus, crash inputs included,
/// replayed through the ordinary build, and a short libFuzzer run of every target from
/// that corpus through the instrumented build Tools/test makes (Tools/fuzz runs long ones).
final class FuzzTests: XCTestCase {
    static let targets = ["resp", "log", "effects", "snapshot", "dump", "rdb", "config"]

    func corpus(_ target: String) -> String { packageRoot.appendingPathComponent("Fixtures/fuzz/\(target)").path }

    func testCorpusIsAnsweredByEveryTarget() throws {
        let binary = packageRoot.appendingPathComponent(".build/debug/cairn-fuzz").path
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: binary), "swift build --build-tests makes \(binary)")
        for target in Self.targets {
            let files = try FileManager.default.contentsOfDirectory(atPath: corpus(target))
            XCTAssertFalse(files.isEmpty, target)
            let run = try runToExit(binary, [target, corpus(target)])
            XCTAssertEqual(run.status, 0, "\(target): \(run.output)")
            XCTAssertTrue(run.output.contains("\(target): \(files.count) inputs answered"), run.output)
        }
    }

    func testShortFuzzingRunOfEveryTarget() throws {
        let binary = packageRoot.appendingPathComponent(".build/fuzz/fuzzer/release/cairn-fuzz").path
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: binary), "Tools/test builds \(binary) (Tools/fuzz's build)")
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-fuzz-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        for target in Self.targets {
            let scratch = work.appendingPathComponent(target).path
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
            let (status, text) = try runToExit(binary, ["-runs=20000", "-max_len=4096", "-seed=\(target.count)",
                                                        "-artifact_prefix=\(scratch)/", "-print_final_stats=1", scratch, corpus(target)],
                                               environment: ["CAIRN_FUZZ_TARGET": target, "SWIFT_BACKTRACE": "enable=no"])
            XCTAssertEqual(status, 0, "\(target): \(text.suffix(3000))")
            // libFuzzer may run a few units past -runs (20,003 once): at least that many.
            let executed = text.split(separator: "\n").first { $0.hasPrefix("stat::number_of_executed_units:") }
                .flatMap { Int($0.split(separator: ":").last!.trimmingCharacters(in: .whitespaces)) }
            XCTAssertGreaterThanOrEqual(executed ?? 0, 20000, "\(target): \(text.suffix(2000))")
        }
    }
}
