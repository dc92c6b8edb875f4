import CairnCore
import CairnStore

/// SETBIT, GETBIT, BITCOUNT, BITPOS and BITOP: strings as arrays of bits, the most
/// significant bit of the first byte first (Redis's bitops.c).
enum BitmapCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("setbit", arity: 4, flags: [.write, .denyoom], keys: [.at(1, [.rw, .access, .update])],
                    acl: [.bitmap], group: "bitmap", since: "2.2.0",
                    summary: "Sets or clears the bit at offset in the string value stored at key", handler: setbit),
        CommandSpec("getbit", arity: 3, flags: [.readonly, .fast], keys: [.at(1, [.ro, .access])],
                    acl: [.bitmap], group: "bitmap", since: "2.2.0",
                    summary: "Returns the bit value at offset in the string value stored at key", handler: getbit),
        CommandSpec("bitcount", arity: -2, flags: [.readonly], keys: [.at(1, [.ro, .access])],
                    acl: [.bitmap], group: "bitmap", since: "2.6.0", summary: "Count set bits in a string", handler: bitcount),
        CommandSpec("bitpos", arity: -3, flags: [.readonly], keys: [.at(1, [.ro, .access])],
                    acl: [.bitmap], group: "bitmap", since: "2.8.7", summary: "Find first bit set or clear in a string", handler: bitpos),
        CommandSpec("bitop", arity: -4, flags: [.write, .denyoom], keys: [.at(2, [.ow, .update]), .all(from: 3, [.ro, .access])],
                    acl: [.bitmap], group: "bitmap", since: "2.6.0",
                    summary: "Perform bitwise operations between strings", handler: bitop),
    ]

    static let offsetError = "ERR bit offset is not an integer or out of range"

    /// A bit offset: 0 or more, and within proto-max-bulk-len bytes.
    static func offsetArg(_ ctx: CommandContext, _ index: Int) -> Int? {
        guard let v = ctx.args[index].int64, v >= 0, v >> 3 < Int64(ctx.settings.stringBytesMax) else {
            ctx.out.error(offsetError)
            return nil
        }
        return Int(v)
    }

    static func setbit(_ ctx: CommandContext) {
        let key = ctx.args[1]
        guard let offset = offsetArg(ctx, 2) else { return }
        guard let on = ctx.args[3].int64, on == 0 || on == 1 else {
            ctx.out.error("ERR bit is not an integer or out of range")
            return
        }
        let position = ctx.lookupWrite(key)
        var bytes: [UInt8] = []
        if let p = position {
            guard let current = ctx.db.main.entries[p].value.stringBytes else { ctx.wrongType(); return }
            // Taken out of the entry so that the change is made in place.
            ctx.db.main.withValue(at: p) { v in
                if case .raw(let a) = v { bytes = a; v = .int(0) } else { bytes = current.array }
            }
        }
        let byte = offset >> 3
        let grown = bytes.count <= byte
        if grown { bytes.append(contentsOf: repeatElement(0, count: byte + 1 - bytes.count)) }
        let mask = UInt8(1 << (7 - (offset & 7)))
        let old = bytes[byte] & mask != 0
        if on == 1 { bytes[byte] |= mask } else { bytes[byte] &= ~mask }
        if let p = position { ctx.db.main.setValue(.raw(bytes), at: p) } else { ctx.db.add(key, .raw(bytes), clock: ctx.lruClock) }
        // Nothing changed (the bit already held the value, the string did not grow): no
        // write, as Redis 7 counts it.
        if grown || old != (on == 1) {
            ctx.dirty += 1
            ctx.notify(.string, "setbit", key)
        } else {
            ctx.suppressEffect()
        }
        ctx.out.integer(old ? 1 : 0)
    }

    static func getbit(_ ctx: CommandContext) {
        guard let offset = offsetArg(ctx, 2) else { return }
        _ = StringCommands.withString(ctx, ctx.args[1]) { s in
            guard let s, offset >> 3 < s.count else { ctx.out.integer(0); return }
            ctx.out.integer(s[offset >> 3] & UInt8(1 << (7 - (offset & 7))) != 0 ? 1 : 0)
        }
    }

    /// A range of bits [first, last] of a string of `length` bytes, from Redis's start,
    /// end and BYTE|BIT arguments (negative indexes from the end, clamped); nil when empty.
    static func bitRange(start: Int64, end: Int64, inBits: Bool, length: Int) -> ClosedRange<Int>? {
        let total = Int64(length) * (inBits ? 8 : 1)
        var s = start, e = end
        if s < 0 && e < 0 && s > e { return nil }
        if s < 0 { s += total }
        if e < 0 { e += total }
        if s < 0 { s = 0 }
        if e < 0 { e = 0 }
        if e >= total { e = total - 1 }
        if s > e { return nil }
        return inBits ? Int(s)...Int(e) : Int(s * 8)...Int(e * 8 + 7)
    }

    /// BYTE or BIT at `index`; nil after a syntax error.
    static func unitArg(_ ctx: CommandContext, _ index: Int) -> Bool? {
        if ctx.isOption(index, "bit") { return true }
        if ctx.isOption(index, "byte") { return false }
        ctx.syntaxError()
        return nil
    }

    static func bitcount(_ ctx: CommandContext) {
        _ = StringCommands.withString(ctx, ctx.args[1]) { found in
            guard let s = found else { ctx.out.integer(0); return }
            bitcount(ctx, s)
        }
    }

    private static func bitcount(_ ctx: CommandContext, _ s: UnsafeRawBufferPointer) {
        var range: ClosedRange<Int>?
        switch ctx.args.count {
        case 2:
            range = s.isEmpty ? nil : 0...(s.count * 8 - 1)
        case 4, 5:
            guard let start = ctx.int64Arg(2), let end = ctx.int64Arg(3) else { return }
            var inBits = false
            if ctx.args.count == 5 {
                guard let unit = unitArg(ctx, 4) else { return }
                inBits = unit
            }
            range = bitRange(start: start, end: end, inBits: inBits, length: s.count)
        default:
            ctx.syntaxError()
            return
        }
        guard let range else { ctx.out.integer(0); return }
        ctx.out.integer(countOnes(s, range))
    }

    static func countOnes(_ bytes: UnsafeRawBufferPointer, _ range: ClosedRange<Int>) -> Int {
        var n = 0
        var bit = range.lowerBound
        // Partial bytes one bit at a time, whole ones by the CPU's popcount.
        while bit <= range.upperBound && (bit & 7 != 0 || bit + 7 > range.upperBound) {
            if bytes[bit >> 3] & UInt8(1 << (7 - (bit & 7))) != 0 { n += 1 }
            bit += 1
        }
        let byte = bit >> 3
        let wholeEnd = (range.upperBound + 1) >> 3
        if byte < wholeEnd { n += countSetBits(UnsafeRawBufferPointer(rebasing: bytes[byte..<wholeEnd])) }
        bit = max(bit, wholeEnd << 3)
        while bit <= range.upperBound {
            if bytes[bit >> 3] & UInt8(1 << (7 - (bit & 7))) != 0 { n += 1 }
            bit += 1
        }
        return n
    }

    static func bitpos(_ ctx: CommandContext) {
        guard let target = ctx.args[2].int64 else { ctx.out.error(Reply.notInteger); return }
        guard target == 0 || target == 1 else { ctx.out.error("ERR The bit argument must be 1 or 0."); return }
        _ = StringCommands.withString(ctx, ctx.args[1]) { found in
            // A missing key is an endless run of zeros.
            guard let s = found else { ctx.out.integer(target == 1 ? -1 : 0); return }
            bitpos(ctx, of: target == 1, in: s)
        }
    }

    private static func bitpos(_ ctx: CommandContext, of one: Bool, in s: UnsafeRawBufferPointer) {
        var range: ClosedRange<Int>?
        var endGiven = false
        switch ctx.args.count {
        case 3:
            range = s.isEmpty ? nil : 0...(s.count * 8 - 1)
        case 4, 5, 6:
            guard let start = ctx.int64Arg(3) else { return }
            var inBits = false
            if ctx.args.count == 6 {
                guard let unit = unitArg(ctx, 5) else { return }
                inBits = unit
            }
            var end: Int64 = inBits ? Int64(s.count) * 8 + 7 : Int64(s.count) - 1
            if ctx.args.count >= 5 {
                guard let e = ctx.int64Arg(4) else { return }
                end = e
                endGiven = true
            }
            range = bitRange(start: start, end: end, inBits: inBits, length: s.count)
        default:
            ctx.syntaxError()
            return
        }
        guard let range else { ctx.out.integer(-1); return }
        if let position = firstBit(one, in: s, range) {
            ctx.out.integer(position)
        } else if !one && !endGiven {
            // Looking for a clear bit with no end given: the string is taken as padded
            // with zeros, so the first one is just past the range.
            ctx.out.integer(range.upperBound + 1)
        } else {
            ctx.out.integer(-1)
        }
    }

    static func firstBit(_ one: Bool, in bytes: UnsafeRawBufferPointer, _ range: ClosedRange<Int>) -> Int? {
        let skip: UInt8 = one ? 0 : 0xFF
        var bit = range.lowerBound
        while bit <= range.upperBound {
            if bit & 7 == 0 && bit + 7 <= range.upperBound && bytes[bit >> 3] == skip {
                bit += 8
                continue
            }
            if (bytes[bit >> 3] & UInt8(1 << (7 - (bit & 7))) != 0) == one { return bit }
            bit += 1
        }
        return nil
    }

    static func bitop(_ ctx: CommandContext) {
        let op = ctx.args[1].lowercased.string
        guard ["and", "or", "xor", "not"].contains(op) else { ctx.syntaxError(); return }
        let sources = ctx.args[3...]
        if op == "not" && sources.count != 1 {
            ctx.out.error("ERR BITOP NOT must be called with a single source key.")
            return
        }
        var inputs: [[UInt8]] = []
        for key in sources {
            guard let found = StringCommands.readString(ctx, key) else { return }
            inputs.append(found?.array ?? [])
        }
        let length = inputs.map(\.count).max() ?? 0
        var result = [UInt8](repeating: 0, count: length)
        for i in 0..<length {
            var v: UInt8 = i < inputs[0].count ? inputs[0][i] : 0
            if op == "not" { v = ~v }
            for input in inputs.dropFirst() {
                let b: UInt8 = i < input.count ? input[i] : 0
                switch op {
                case "and": v &= b
                case "or": v |= b
                default: v ^= b
                }
            }
            result[i] = v
        }
        if ctx.storeResult(ctx.args[2], length > 0 ? .raw(result) : nil, event: "set", .string) { ctx.dirty += 1 }
        ctx.out.integer(length)
    }
}
