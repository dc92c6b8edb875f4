import CairnTestSupport
import Foundation
import XCTest

/// LATENCY and latency tracking against redis-server doing the same (the situations of
/// Redis's latency-monitor unit). Times differ between the servers, so histograms are
/// compared by their commands and call counts, samples by their shape and range.
final class LatencyTests: XCTestCase {
    func testLatencyMatchesRedis() throws {
        let arguments = ["--enable-debug-command", "yes", "--latency-monitor-threshold", "200"]
        let cairn = try ServerProcess.cairn(arguments)
        let redis = try ServerProcess.redis(arguments)
        defer { cairn.stop(); redis.stop() }
        let mine = try LatencyTests.transcript(cairn)
        let theirs = try LatencyTests.transcript(redis)
        XCTAssertEqual(mine.count, theirs.count)
        for (i, (m, t)) in zip(mine, theirs).enumerated() {
            XCTAssertEqual(m, t, "step \(i)")
        }
    }

    /// LATENCY HISTOGRAM as "command calls" pairs, sorted (the servers order them by
    /// their own tables), each histogram checked to be cumulative and to end at its calls.
    static func histogram(_ c: RESPClient, _ names: [String]) throws -> String {
        guard case .array(let flat) = try c.call(["LATENCY", "HISTOGRAM"] + names) else { return "not an array" }
        var rows: [String] = []
        for i in stride(from: 0, to: flat.count, by: 2) {
            guard case .bulk(let name) = flat[i], case .array(let f) = flat[i + 1], f.count == 4,
                  case .integer(let calls) = f[1], case .array(let steps) = f[3] else { return "bad entry \(flat)" }
            let counts = stride(from: 1, to: steps.count, by: 2).compactMap { j -> Int64? in
                if case .integer(let n) = steps[j] { return n } else { return nil }
            }
            let cumulative = counts == counts.sorted() && counts.last == calls
            rows.append("\(String(decoding: name, as: UTF8.self)) \(calls)\(cumulative ? "" : " not cumulative")")
        }
        return rows.sorted().joined(separator: ", ")
    }

    static func transcript(_ server: ServerProcess) throws -> [String] {
        let c = try server.client()
        var out: [String] = []
        func say(_ args: String...) throws { out.append(try c.call(args).description) }
        func histogram(_ names: String...) throws { out.append(try LatencyTests.histogram(c, names)) }
        try say("LATENCY", "RESET")
        try say("CONFIG", "RESETSTAT")
        try histogram()
        try say("SET", "a", "b")
        try say("SET", "c", "d")
        _ = try c.call("CLIENT", "ID")
        try say("GET", "a")
        try say("HSET", "f", "k", "v")
        try histogram()
        try histogram("client")
        try histogram("client|id")
        try histogram("set", "hset")
        try histogram("hgetall", "get", "zadd")
        try histogram("blabla", "blabla2", "set", "get")
        // Events: a sample per second past the threshold, the worst kept.
        try say("DEBUG", "SLEEP", "0.3")
        usleep(1_100_000)
        try say("DEBUG", "SLEEP", "0.25")
        guard case .array(let history) = try c.call("LATENCY", "HISTORY", "command") else { throw XCTSkip("no history") }
        out.append("\(history.count) samples")
        for sample in history {
            guard case .array(let pair) = sample, case .integer(let ms) = pair[1] else { continue }
            out.append(ms >= 250 && ms < 450 ? "in range" : "out of range: \(ms)")
        }
        guard case .array(let latest) = try c.call("LATENCY", "LATEST"), case .array(let event) = latest.first,
              case .integer(let worst) = event[3] else { throw XCTSkip("no latest") }
        out.append("\(latest.count) \(event[0]) worst in range \(worst >= 300 && worst < 450)")
        try say("LATENCY", "HISTORY", "blabla")
        try say("LATENCY", "RESET", "blabla")
        out.append(try c.call("LATENCY", "DOCTOR").description.count > 10 ? "doctor speaks" : "doctor silent")
        out.append(try c.call("LATENCY", "GRAPH", "command").description.contains("command - high") ? "graph" : "no graph")
        try say("LATENCY", "RESET")
        try say("LATENCY", "LATEST")
        try say("LATENCY", "HELP", "xxx")
        try say("LATENCY", "GRAPH", "nosuch")
        try say("LATENCY", "FOO")
        for name in ["latency-monitor-threshold", "latency-tracking", "latency-tracking-info-percentiles"] {
            try say("CONFIG", "GET", name)
        }
        for value in ["99.9 50", "100.5", "abc", "0"] {
            try say("CONFIG", "SET", "latency-tracking-info-percentiles", value)
            try say("CONFIG", "GET", "latency-tracking-info-percentiles")
        }
        try say("CONFIG", "SET", "latency-tracking-info-percentiles", "50 99 99.9")
        try say("CONFIG", "RESETSTAT")
        try say("SET", "a", "b")
        guard case .bulk(let info) = try c.call("INFO", "latencystats") else { throw XCTSkip("no info") }
        // Redis lists commands in its table's hash order: compared as a sorted set of lines.
        let lines = String(decoding: info, as: UTF8.self).split(whereSeparator: \.isNewline).map(String.init).sorted()
        out.append(lines.joined(separator: "\n").replacingOccurrences(of: "=[0-9.]+", with: "=N", options: .regularExpression))
        try say("CONFIG", "SET", "latency-tracking", "no")
        try say("CONFIG", "RESETSTAT")
        try say("SET", "a", "b")
        try histogram()
        return out
    }
}
