import CairnCore
import CairnRESP
import CairnStore

/// Stream arguments as Redis 7.0 parses them (t_stream.c), and stream replies.
extension CommandContext {
    static let invalidStreamID = "ERR Invalid stream ID specified as stream command argument"

    /// An ID argument (streamParseIDOrReply; `strict` refuses `-` and `+`), or nil after
    /// the error.
    func streamIDArg(_ index: Int, missingSeq: UInt64 = 0, strict: Bool = false) -> StreamID? {
        guard let (id, _) = StreamID.parse(args[index], missingSeq: missingSeq, strict: strict) else {
            out.error(CommandContext.invalidStreamID)
            return nil
        }
        return id
    }

    /// A range bound (streamParseIntervalIDOrReply): `(` excludes it, so the ID moves one
    /// up for a start and one down for an end. Nil after the error.
    func streamIntervalArg(_ index: Int, isStart: Bool) -> StreamID? {
        let arg = args[index]
        // Bytes' subscript, not withUnsafeBytes: see Bytes.subscript (a release miscompile).
        let exclusive = arg.count > 1 && arg[0] == UInt8(ascii: "(")
        let missing: UInt64 = isStart ? 0 : .max
        guard let (id, _) = StreamID.parse(exclusive ? arg.slice(1..<arg.count) : arg, missingSeq: missing, strict: exclusive) else {
            out.error(CommandContext.invalidStreamID)
            return nil
        }
        guard exclusive else { return id }
        if isStart {
            guard let next = id.successor else { out.error("ERR invalid start ID for the interval"); return nil }
            return next
        }
        guard let previous = id.predecessor else { out.error("ERR invalid end ID for the interval"); return nil }
        return previous
    }

    /// The stream at `key`: `.some(nil)` when absent; nil (after WRONGTYPE) when not a stream.
    func readStream(_ key: Bytes, write: Bool = false) -> StreamValue?? {
        readValue(key, write: write) { $0.streamValue }
    }
}

/// The trimming options of XADD and XTRIM (streamParseAddOrTrimArgsOrReply).
struct StreamTrimArguments {
    var strategy: StreamValue.TrimStrategy?
    var approximate = false
    /// Where the threshold argument is (the `~` or `=` before it, if any, is one before).
    var thresholdIndex = 0
    var limit = 0
    /// XADD only.
    var noMakeStream = false
    var idIndex: Int?
    var id: StreamID?
    var seqGiven = true

    /// Parses from argument 2; for XADD stops at the ID (`idIndex`). Nil after the error.
    static func parse(_ ctx: CommandContext, xadd: Bool) -> StreamTrimArguments? {
        var a = StreamTrimArguments()
        var limitGiven = false
        let args = ctx.args
        var i = 2
        while i < args.count {
            let more = args.count - 1 - i
            if xadd && args[i] == "*" {
                a.idIndex = i
                break
            } else if (ctx.isOption(i, "maxlen") || ctx.isOption(i, "minid")) && more > 0 {
                guard a.strategy == nil else {
                    ctx.out.error("ERR syntax error, MAXLEN and MINID options at the same time are not compatible")
                    return nil
                }
                let maxlen = ctx.isOption(i, "maxlen")
                a.approximate = false
                if more >= 2 && args[i + 1] == "~" {
                    a.approximate = true
                    i += 1
                } else if more >= 2 && args[i + 1] == "=" {
                    i += 1
                }
                if maxlen {
                    guard let n = ctx.int64Arg(i + 1) else { return nil }
                    guard n >= 0 else { ctx.out.error("ERR The MAXLEN argument must be >= 0."); return nil }
                    a.strategy = .maxLength(Int(n))
                } else {
                    guard let id = ctx.streamIDArg(i + 1, strict: true) else { return nil }
                    a.strategy = .minID(id)
                }
                i += 1
                a.thresholdIndex = i
            } else if ctx.isOption(i, "limit") && more > 0 {
                guard let n = ctx.int64Arg(i + 1) else { return nil }
                guard n >= 0 else { ctx.out.error("ERR The LIMIT argument must be >= 0."); return nil }
                a.limit = Int(n)
                limitGiven = true
                i += 1
            } else if xadd && ctx.isOption(i, "nomkstream") {
                a.noMakeStream = true
            } else if xadd {
                guard let (id, seqGiven) = StreamID.parse(args[i], missingSeq: 0, strict: true, allowAutoSeq: true) else {
                    ctx.out.error(CommandContext.invalidStreamID)
                    return nil
                }
                a.id = id
                a.seqGiven = seqGiven
                a.idIndex = i
                break
            } else {
                ctx.syntaxError()
                return nil
            }
            i += 1
        }
        if a.idIndex == nil && xadd { a.idIndex = args.count }
        if a.limit != 0 && a.strategy == nil {
            ctx.out.error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy")
            return nil
        }
        if !xadd && a.strategy == nil {
            ctx.out.error("ERR syntax error, XTRIM must be called with a trimming strategy")
            return nil
        }
        if ctx.replaying {
            // The approximate trims were logged made exact.
            a.limit = 0
        } else if limitGiven {
            guard a.approximate else {
                ctx.out.error("ERR syntax error, LIMIT cannot be used without the special ~ option")
                return nil
            }
        } else if a.approximate {
            a.limit = 100 * ctx.settings.streamNodeMaxEntries
            if a.limit <= 0 || a.limit > 1_000_000 { a.limit = 10000 }
        } else {
            a.limit = 0
        }
        return a
    }

    /// Trims `s` as asked; returns the entries removed. An approximate trim is rewritten
    /// in `rewritten` as the exact trim it turned out to be (`=` and the length or first
    /// ID left), as Redis propagates it.
    func trim(_ s: StreamValue, rewriting rewritten: inout [Bytes]) -> Int {
        guard let strategy else { return 0 }
        let removed = s.trim(strategy, approximate: approximate, limit: limit)
        if approximate {
            rewritten[thresholdIndex - 1] = "="
            switch strategy {
            case .maxLength: rewritten[thresholdIndex] = Bytes(Int64(s.length))
            case .minID: rewritten[thresholdIndex] = s.firstID.bytes
            }
        }
        return removed
    }
}

/// Stream replies.
enum StreamReply {
    /// An entry: its ID, then its fields and values.
    static func entry(_ w: inout RESPWriter, _ e: StreamValue.EntryRef) {
        w.arrayHeader(2)
        id(&w, e.id)
        w.arrayHeader(e.fieldCount * 2)
        e.forEachPair { f, v in
            w.bulk(raw: f)
            w.bulk(raw: v)
        }
    }

    static func id(_ w: inout RESPWriter, _ id: StreamID) {
        withUnsafeTemporaryAllocation(byteCount: 41, alignment: 1) { buffer in
            let n = id.write(into: buffer)
            w.bulk(raw: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
    }

    /// Entries `from...to` (count 0: all), as XRANGE replies.
    static func range(_ w: inout RESPWriter, _ s: StreamValue, from: StreamID, to: StreamID, count: Int, reverse: Bool) {
        var entries: [StreamValue.EntryRef] = []
        s.forEach(from: from, to: to, reverse: reverse) { e in
            entries.append(e)
            return count == 0 || entries.count < count
        }
        w.arrayHeader(entries.count)
        for e in entries { entry(&w, e) }
    }
}
