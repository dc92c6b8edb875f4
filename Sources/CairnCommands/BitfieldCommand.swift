import CairnCore
import CairnStore

/// BITFIELD and BITFIELD_RO: integers of 1 to 64 bits at any bit offset of a string,
/// read, set and incremented with Redis's overflow policies (WRAP, SAT, FAIL).
enum BitfieldCommand {
    static let specs: [CommandSpec] = [
        CommandSpec("bitfield", arity: -2, flags: [.write, .denyoom],
                    keys: [KeySpec([.rw, .update, .access, .variableFlags], .index(1), .range(last: 0, step: 1, limit: 0),
                                   notes: "This command allows both access and modification of the key")],
                    keyFinder: keyFlags,
                    acl: [.bitmap], group: "bitmap", since: "3.2.0",
                    summary: "Perform arbitrary bitfield integer operations on strings") { ctx in run(ctx, readOnly: false) },
        CommandSpec("bitfield_ro", arity: -2, flags: [.readonly, .fast], keys: [.at(1, [.ro, .access])],
                    acl: [.bitmap], group: "bitmap", since: "6.0.0",
                    summary: "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD") { ctx in
            run(ctx, readOnly: true)
        },
    ]

    /// The key's flags as Redis's bitfieldGetKeys finds them: RO unless a SET or INCRBY
    /// (or something it cannot read) comes before the end.
    static func keyFlags(_ args: [Bytes]) -> [KeyReference] {
        guard args.count > 1 else { return [] }
        var readOnly = true
        var i = 2
        while i < args.count {
            let remaining = args.count - i - 1
            let word = args[i].lowercased
            if word == "get" && remaining >= 2 {
                i += 3
            } else if word == "overflow" && remaining >= 1 {
                i += 2
            } else {
                readOnly = false  // SET, INCRBY, or a syntax error: assumed a write, as Redis does
                break
            }
        }
        return [KeyReference(position: 1, flags: readOnly ? [.ro, .access] : [.rw, .access, .update])]
    }

    enum Overflow { case wrap, sat, fail }
    enum Opcode { case get, set, incrby }

    struct Operation {
        var opcode: Opcode
        var signed: Bool
        var bits: Int
        var offset: Int
        var value: Int64
        var overflow: Overflow
    }

    static func run(_ ctx: CommandContext, readOnly: Bool) {
        guard let ops = parse(ctx) else { return }
        let writes = ops.contains { $0.opcode != .get }
        if writes && readOnly {
            ctx.out.error("ERR BITFIELD_RO only supports the GET subcommand")
            return
        }
        let key = ctx.args[1]
        var bytes: [UInt8] = []
        var position: Int?
        var grown = false
        if writes {
            position = ctx.lookupWrite(key)
            if let p = position {
                guard let current = ctx.db.main.entries[p].value.stringBytes else { ctx.wrongType(); return }
                ctx.db.main.withValue(at: p) { v in
                    if case .raw(let a) = v { bytes = a; v = .int(0) } else { bytes = current.array }
                }
            }
            let highest = ops.filter { $0.opcode != .get }.map { $0.offset + $0.bits - 1 }.max()!
            if bytes.count <= highest >> 3 || position == nil {
                grown = true
                bytes.append(contentsOf: repeatElement(0, count: max(0, (highest >> 3) + 1 - bytes.count)))
            }
        } else {
            guard let found = StringCommands.readString(ctx, key) else { return }
            bytes = found?.array ?? []
        }
        var changes = 0
        ctx.out.arrayHeader(ops.count)
        for op in ops {
            let old = read(bytes, op.offset, op.bits)
            if op.opcode == .get {
                ctx.out.integer(op.signed ? signExtend(old, op.bits) : Int64(bitPattern: old))
                continue
            }
            guard let (stored, reply) = apply(op, old) else {
                ctx.out.null()  // FAIL on overflow: nothing written
                continue
            }
            write(&bytes, op.offset, op.bits, stored)
            if grown || stored != old { changes += 1 }
            ctx.out.integer(reply)
        }
        guard writes else { return }
        if let p = position { ctx.db.main.setValue(.raw(bytes), at: p) } else { ctx.db.add(key, .raw(bytes), clock: ctx.lruClock) }
        if changes > 0 {
            ctx.dirty += changes
            ctx.notify(.string, "setbit", key)
        } else if grown {
            // Every write failed, but the key was created or extended: logged all the same
            // (Redis neither counts nor propagates it, and a restart would lose the key).
            ctx.propagate(ctx.args)
        } else {
            ctx.suppressEffect()
        }
    }

    /// The operations, OVERFLOW applied to those after it; nil after Redis's error reply.
    static func parse(_ ctx: CommandContext) -> [Operation]? {
        var ops: [Operation] = []
        var overflow = Overflow.wrap
        var j = 2
        while j < ctx.args.count {
            let remaining = ctx.args.count - j - 1
            let opcode: Opcode
            if ctx.isOption(j, "get") && remaining >= 2 {
                opcode = .get
            } else if ctx.isOption(j, "set") && remaining >= 3 {
                opcode = .set
            } else if ctx.isOption(j, "incrby") && remaining >= 3 {
                opcode = .incrby
            } else if ctx.isOption(j, "overflow") && remaining >= 1 {
                if ctx.isOption(j + 1, "wrap") { overflow = .wrap }
                else if ctx.isOption(j + 1, "sat") { overflow = .sat }
                else if ctx.isOption(j + 1, "fail") { overflow = .fail }
                else { ctx.out.error("ERR Invalid OVERFLOW type specified"); return nil }
                j += 2
                continue
            } else {
                ctx.syntaxError()
                return nil
            }
            guard let (signed, bits) = typeArg(ctx.args[j + 1]) else {
                ctx.out.error("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.")
                return nil
            }
            guard let offset = offsetArg(ctx.args[j + 2], bits: bits, maxBytes: ctx.settings.stringBytesMax) else {
                ctx.out.error(BitmapCommands.offsetError)
                return nil
            }
            var value: Int64 = 0
            if opcode != .get {
                guard let v = ctx.int64Arg(j + 3) else { return nil }
                value = v
            }
            ops.append(Operation(opcode: opcode, signed: signed, bits: bits, offset: offset, value: value, overflow: overflow))
            j += opcode == .get ? 3 : 4
        }
        return ops
    }

    /// `i1`..`i64` or `u1`..`u63`.
    static func typeArg(_ arg: Bytes) -> (Bool, Int)? {
        let text = arg.string
        guard let first = text.first, first == "i" || first == "I" || first == "u" || first == "U",
              let bits = Bytes(String(text.dropFirst())).int64 else { return nil }
        let signed = first == "i" || first == "I"
        guard bits >= 1 && bits <= (signed ? 64 : 63) else { return nil }
        return (signed, Int(bits))
    }

    /// A bit offset, or `#N` for the Nth field of this width; within proto-max-bulk-len.
    static func offsetArg(_ arg: Bytes, bits: Int, maxBytes: Int) -> Int? {
        let text = arg.string
        let fields = text.hasPrefix("#")
        guard var v = Bytes(fields ? String(text.dropFirst()) : text).int64 else { return nil }
        if fields {
            let (product, overflow) = v.multipliedReportingOverflow(by: Int64(bits))
            if overflow { return nil }
            v = product
        }
        guard v >= 0, v >> 3 < Int64(maxBytes) else { return nil }
        return Int(v)
    }

    /// The field's bits as an unsigned number; bits past the string read as 0.
    static func read(_ bytes: [UInt8], _ offset: Int, _ bits: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<bits {
            let bit = offset + i
            let b = bit >> 3 < bytes.count ? (bytes[bit >> 3] >> (7 - UInt8(bit & 7))) & 1 : 0
            v = v << 1 | UInt64(b)
        }
        return v
    }

    static func write(_ bytes: inout [UInt8], _ offset: Int, _ bits: Int, _ value: UInt64) {
        for i in 0..<bits {
            let bit = offset + i
            let mask = UInt8(1 << (7 - (bit & 7)))
            if (value >> UInt64(bits - 1 - i)) & 1 == 1 { bytes[bit >> 3] |= mask } else { bytes[bit >> 3] &= ~mask }
        }
    }

    static func signExtend(_ v: UInt64, _ bits: Int) -> Int64 {
        if bits == 64 { return Int64(bitPattern: v) }
        let shift = UInt64(64 - bits)
        return Int64(bitPattern: v << shift) >> Int64(shift)
    }

    /// SET or INCRBY on the field holding `old`: the bits to store and the reply (the old
    /// value for SET, the new one for INCRBY), or nil when FAIL refuses an overflow.
    static func apply(_ op: Operation, _ old: UInt64) -> (UInt64, Int64)? {
        let mask: UInt64 = op.bits == 64 ? .max : (1 << UInt64(op.bits)) - 1
        if op.signed {
            let oldValue = signExtend(old, op.bits)
            let (base, incr) = op.opcode == .incrby ? (oldValue, op.value) : (op.value, Int64(0))
            var result = base &+ incr
            if let limit = signedOverflow(base, incr, op.bits, op.overflow) {
                guard op.overflow != .fail else { return nil }
                result = limit
            }
            return (UInt64(bitPattern: result) & mask, op.opcode == .incrby ? result : oldValue)
        }
        let (base, incr) = op.opcode == .incrby ? (old, op.value) : (UInt64(bitPattern: op.value), Int64(0))
        var result = base &+ UInt64(bitPattern: incr)
        if let limit = unsignedOverflow(base, incr, op.bits, op.overflow) {
            guard op.overflow != .fail else { return nil }
            result = limit
        }
        return (result & mask, op.opcode == .incrby ? Int64(bitPattern: result & mask) : Int64(bitPattern: old))
    }

    /// Redis's checkUnsignedBitfieldOverflow: nil when `value + incr` fits; else what to
    /// store (WRAP: wrapped; SAT: the bound; FAIL: anything, refused by the caller).
    static func unsignedOverflow(_ value: UInt64, _ incr: Int64, _ bits: Int, _ policy: Overflow) -> UInt64? {
        let max: UInt64 = bits == 64 ? .max : (1 << UInt64(bits)) - 1
        let maxIncr = Int64(bitPattern: max &- value)
        let minIncr = Int64(bitPattern: 0 &- value)
        let wrapped = (value &+ UInt64(bitPattern: incr)) & max
        if value > max || (incr > 0 && incr > maxIncr) { return policy == .sat ? max : wrapped }
        if incr < 0 && incr < minIncr { return policy == .sat ? 0 : wrapped }
        return nil
    }

    /// Redis's checkSignedBitfieldOverflow.
    static func signedOverflow(_ value: Int64, _ incr: Int64, _ bits: Int, _ policy: Overflow) -> Int64? {
        let max: Int64 = bits == 64 ? .max : (1 << Int64(bits - 1)) - 1
        let min = -max - 1
        let maxIncr = Int64(bitPattern: UInt64(bitPattern: max) &- UInt64(bitPattern: value))
        let minIncr = min &- value
        func wrap() -> Int64 {
            var c = UInt64(bitPattern: value) &+ UInt64(bitPattern: incr)
            if bits < 64 {
                let high = UInt64.max << UInt64(bits)
                if c & (1 << UInt64(bits - 1)) != 0 { c |= high } else { c &= ~high }
            }
            return Int64(bitPattern: c)
        }
        if value > max || (bits != 64 && incr > maxIncr) || (value >= 0 && incr > 0 && incr > maxIncr) {
            return policy == .sat ? max : wrap()
        }
        if value < min || (bits != 64 && incr < minIncr) || (value < 0 && incr < 0 && incr < minIncr) {
            return policy == .sat ? min : wrap()
        }
        return nil
    }
}
