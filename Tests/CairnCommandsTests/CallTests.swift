import CairnCore
@testable import CairnCommands
import CairnStore
import NIOCore
import XCTest

/// The one call path without sockets: frames nest, the after-work happens once per call.
final class CallTests: XCTestCase {
    let now: Int64 = 1_700_000_000_000

    func makeContext() -> CommandContext {
        CommandContext(keyspace: Keyspace(databaseCount: 16, seed: 1), session: ClientSession(id: 1, nowMs: now))
    }

    /// A command that calls another (as EXEC does, and a script's redis.call will) with a
    /// different session, database and time: its own frame is intact afterwards.
    func testNestedCallKeepsTheCallersFrame() {
        let ctx = makeContext()
        let inner = ClientSession(id: 2, nowMs: now)
        inner.databaseIndex = 5
        var seen: [String] = []
        let outer = CommandSpec("outer", arity: -1, flags: [.write], acl: [], group: "test", summary: "calls SET inside") { ctx in
            let before = (ctx.args, ctx.spec, ctx.session, ctx.nowMs)
            ctx.call(ctx.table.lookup("set")!, ["SET", "k", "v"], session: inner, nowMs: 42)
            XCTAssertEqual(ctx.args, before.0)
            XCTAssertTrue(ctx.spec === before.1)
            XCTAssertTrue(ctx.session === before.2)
            XCTAssertEqual(ctx.nowMs, before.3)
            seen.append(ctx.commandName)
            ctx.out.integer(Int64(ctx.args.count))
        }
        let caller = ClientSession(id: 3, nowMs: now)
        // The specs of the data commands are shared by every table of the process: their
        // counters are compared before and after.
        let setCalls = ctx.table.lookup("set")!.stats.calls
        ctx.call(outer, ["OUTER", "a", "b"], session: caller, nowMs: now, origin: .client)
        XCTAssertEqual(seen, ["outer"])
        // SET wrote into the inner session's database; its effect carries that database.
        XCTAssertEqual(ctx.keyspace[5].main["k"]?.stringBytes, "v")
        XCTAssertNil(ctx.keyspace[0].main["k"])
        XCTAssertEqual(ctx.effects.map { $0.database }, [5])
        XCTAssertEqual(ctx.effects.map { $0.arguments.map(\.string) }, [["SET", "k", "v"]])
        XCTAssertEqual(String(buffer: ctx.out.buffer), "+OK\r\n:3\r\n")
        XCTAssertEqual(outer.stats.calls, 1)
        XCTAssertEqual(ctx.table.lookup("set")!.stats.calls, setCalls + 1)
        // The base frame is back.
        XCTAssertNil(ctx.spec)
    }

    /// EXEC runs its block as nested calls: each queued command is counted, a blocking
    /// command answers at once, and the effects are one unit for the caller to commit.
    func testExecRunsItsBlockThroughCall() {
        let ctx = makeContext()
        let session = ClientSession(id: 1, nowMs: now)
        func request(_ words: String...) {
            let args = words.map { Bytes($0) }
            guard let spec = ctx.admit(args, session: session)?.takeUnretainedValue() else { return }
            if session.transaction != nil && !TransactionCommands.runsInsideMulti(spec) {
                TransactionCommands.queue(ctx, spec, args, session: session)
            } else {
                ctx.call(spec, args, session: session, nowMs: now, origin: .client)
            }
        }
        let blpopCalls = ctx.table.lookup("blpop")!.stats.calls, execCalls = ctx.table.lookup("exec")!.stats.calls
        request("MULTI")
        request("RPUSH", "l", "a")
        request("BLPOP", "empty", "0")
        request("INCR", "n")
        request("EXEC")
        XCTAssertEqual(String(buffer: ctx.out.buffer), "+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*3\r\n:1\r\n*-1\r\n:1\r\n")
        XCTAssertNil(ctx.blockRequest)
        XCTAssertEqual(ctx.effects.map { $0.arguments.map(\.string) }, [["RPUSH", "l", "a"], ["INCR", "n"]])
        XCTAssertEqual(ctx.table.lookup("blpop")!.stats.calls, blpopCalls + 1)
        XCTAssertEqual(ctx.table.lookup("exec")!.stats.calls, execCalls + 1)
    }

    /// Admission refuses before anything runs, counts the refusal, and dooms a MULTI block.
    func testAdmissionRefusesAndDoomsTheBlock() {
        final class Refusing: AdmissionPolicy {
            override func refusal(_ spec: CommandSpec, _ args: [Bytes], _ session: ClientSession) -> String? {
                spec.isWrite ? "MISCONF no writes" : nil
            }
        }
        let ctx = makeContext()
        let policy = Refusing()
        ctx.admission = policy
        let session = ClientSession(id: 1, nowMs: now)
        session.transaction = QueuedTransaction()
        let setRejected = ctx.table.lookup("set")!.stats.rejectedCalls
        XCTAssertNil(ctx.admit(["SET", "k", "v"], session: session))
        XCTAssertNil(ctx.admit(["NOSUCH"], session: session))
        XCTAssertNil(ctx.admit(["GET"], session: session))
        XCTAssertNotNil(ctx.admit(["GET", "k"], session: session))
        XCTAssertEqual(session.transaction?.refused, true)
        XCTAssertEqual(ctx.table.lookup("set")!.stats.rejectedCalls, setRejected + 1)
        XCTAssertEqual(ctx.stats.errorReplies, 3)
        XCTAssertEqual(ctx.stats.errorCodes, ["MISCONF": 1, "ERR": 2])
        XCTAssertTrue(ctx.effects.isEmpty)
        XCTAssertEqual(ctx.keyspace[0].main.count, 0)
    }
}
