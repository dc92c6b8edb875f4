@testable import CairnCommands
import XCTest

/// The latency monitor's per-second samples and the command latency histogram's buckets,
/// against values worked out from Redis's latency.c and HdrHistogram (two significant
/// digits): a 7 µs call reads back as 7.007 µs, as redis-server's INFO latencystats says.
final class LatencyStructuresTests: XCTestCase {
    func testHistogramBucketsAndPercentiles() {
        var h = CommandLatencyHistogram()
        h.record(nanoseconds: 7000)
        XCTAssertEqual(h.value(atPercentile: 50), 7007)
        XCTAssertEqual(h.cumulativeMicroseconds.map { [$0.micros, $0.count] }, [[8, 1]])
        for _ in 0..<98 { h.record(nanoseconds: 150) }
        h.record(nanoseconds: 2_000_000)
        XCTAssertEqual(h.total, 100)
        XCTAssertEqual(h.value(atPercentile: 50), 150)
        XCTAssertEqual(h.value(atPercentile: 99), 7007)
        XCTAssertEqual(h.value(atPercentile: 100), 2_007_039)
        XCTAssertEqual(h.cumulativeMicroseconds.map { [$0.micros, $0.count] }, [[1, 98], [8, 99], [2097, 100]])
        // Every value lies in its bucket, and buckets are within 1% of their values.
        for ns: UInt64 in [0, 1, 255, 256, 257, 1023, 1024, 65_535, 1 << 40] {
            let r = CommandLatencyHistogram.range(CommandLatencyHistogram.index(ns))
            XCTAssertTrue(r.low <= ns && ns <= r.high, "\(ns) in \(r)")
            XCTAssertLessThanOrEqual(Double(r.high - r.low), Double(ns) / 100 + 1)
        }
    }

    func testMonitorKeepsTheWorstOfEachSecondAndTheLast160() {
        var m = LatencyMonitor()
        m.add("command", milliseconds: 300, unixSeconds: 10)
        m.add("command", milliseconds: 500, unixSeconds: 10)
        m.add("command", milliseconds: 250, unixSeconds: 10)
        m.add("command", milliseconds: 200, unixSeconds: 11)
        XCTAssertEqual(m.events["command"]?.samples.map(\.milliseconds), [500, 200])
        XCTAssertEqual(m.events["command"]?.max, 500)
        for s in 12..<300 { m.add("command", milliseconds: 1, unixSeconds: Int64(s)) }
        XCTAssertEqual(m.events["command"]?.samples.count, 160)
        XCTAssertEqual(m.events["command"]?.samples.first?.unixSeconds, 140)
        XCTAssertEqual(m.events["command"]?.max, 500)
        m.add("fork", milliseconds: 9, unixSeconds: 1)
        XCTAssertEqual(m.reset(["fork", "fork", "nothing"]), 1)
        XCTAssertEqual(m.reset([]), 1)
        XCTAssertTrue(m.events.isEmpty)
    }
}
