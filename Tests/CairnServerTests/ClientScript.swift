import CairnTestSupport
import Foundation
import XCTest

/// Scripts of several clients run against cairn-server and redis-server side by side, every
/// reply compared byte for byte: transactions, WATCH and blocking commands, where what one
/// client sees depends on what the others did.
enum ClientScript {
    /// Each line starts with the client, a capital letter (A, B, ...; each is a connection to
    /// both servers, opened when first named). "A cmd ..." sends and compares the reply;
    /// "A! cmd ..." runs a command on both without comparing (HELLO, whose reply names the
    /// client id); "A> cmd ..." only sends (a command that blocks), then waits 100 ms so that both
    /// servers have run it; "A<" reads and compares the reply it gets later. "sleep S" waits
    /// S seconds; "---" starts a new part (every client closed, then FLUSHALL by a new A);
    /// "#" lines are comments. A reply that does not come within the client's read timeout
    /// is reported as "(no reply)".
    /// `normalize` rewrites both replies before they are compared (what differs by design).
    static func compare(_ script: String, arguments: [String] = [], normalize: ([UInt8]) -> [UInt8] = { $0 },
                        file: StaticString = #filePath, line: UInt = #line) throws {
        let cairn = try ServerProcess.cairn(arguments)
        let redis = try ServerProcess.redis(arguments)
        defer { cairn.stop(); redis.stop() }
        var clients: [Character: (RESPClient, RESPClient)] = [:]
        // "$ID:X" in a command stands for client X's id on each server (CLIENT TRACKING
        // REDIRECT): ids are read when clients connect, if the script names any.
        let usesIDs = script.contains("$ID:")
        var ids: [Character: (String, String)] = [:]
        func client(_ name: Character) throws -> (RESPClient, RESPClient) {
            if let pair = clients[name] { return pair }
            let pair = (try cairn.client(), try redis.client())
            clients[name] = pair
            if usesIDs, case .integer(let a) = try pair.0.call("CLIENT", "ID"), case .integer(let b) = try pair.1.call("CLIENT", "ID") {
                ids[name] = (String(a), String(b))
            }
            return pair
        }
        func resolvedArguments(_ text: Substring) -> ([[UInt8]], [[UInt8]]) {
            let args = DifferentialTests.parseLine(String(text))
            func resolve(_ pick: ((String, String)) -> String) -> [[UInt8]] {
                args.map { a in
                    let s = String(decoding: a, as: UTF8.self)
                    guard s.hasPrefix("$ID:"), let name = s.dropFirst(4).first, let pair = ids[name] else { return a }
                    return Array(pick(pair).utf8)
                }
            }
            return (resolve { $0.0 }, resolve { $0.1 })
        }
        var mismatches: [String] = []
        let none = Array("(no reply)".utf8)
        for (lineNumber, text) in script.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if text.hasPrefix("#") { continue }
            if text.hasPrefix("sleep ") {
                usleep(UInt32((Double(text.dropFirst(6)) ?? 0) * 1_000_000))
                continue
            }
            var command = text
            if text.hasPrefix("---") {
                clients.removeAll()  // closes every connection: the part starts afresh
                command = "A FLUSHALL"
            }
            guard let name = command.first, name.isUppercase, command.count > 1 else { continue }
            let (c, r) = try client(name)
            let rest = command.dropFirst()
            let mine: [UInt8], theirs: [UInt8]
            if rest.hasPrefix("! ") {
                // Run on both, replies not compared (HELLO: it names the client id).
                let args = DifferentialTests.parseLine(String(rest.dropFirst(2)))
                _ = try? c.callRaw(args)
                _ = try? r.callRaw(args)
                continue
            } else if rest.hasPrefix("> ") {
                let args = DifferentialTests.parseLine(String(rest.dropFirst(2)))
                try c.sendRaw(RESPClient.encode(args))
                try r.sendRaw(RESPClient.encode(args))
                usleep(100_000)
                continue
            } else if rest == "<" {
                mine = (try? c.readRawReply()) ?? none
                theirs = (try? r.readRawReply()) ?? none
                if mine == none && theirs == none {
                    // A read that neither server answers is a mistake in the script.
                    mismatches.append("\(text) (line \(lineNumber + 1) of the script)\n  neither server sent anything")
                }
            } else {
                let (forCairn, forRedis) = resolvedArguments(rest.dropFirst())
                mine = (try? c.callRaw(forCairn)) ?? none
                theirs = (try? r.callRaw(forRedis)) ?? none
            }
            let (a, b) = (normalize(mine), normalize(theirs))
            if a != b { mismatches.append(DifferentialTests.mismatch(text, a, b)) }
        }
        XCTAssert(mismatches.isEmpty, "\(mismatches.count) replies differ:\n" + mismatches.joined(separator: "\n"), file: file, line: line)
    }
}
