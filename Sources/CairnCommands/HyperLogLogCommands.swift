import CairnCore
import CairnStore

/// PFADD, PFCOUNT, PFMERGE, PFDEBUG and PFSELFTEST on HLL strings (`HyperLogLog`). An HLL
/// being changed is taken out of its entry and put back, so that it changes in place.
enum HyperLogLogCommands {
    static let specs: [CommandSpec] = [
        CommandSpec("pfadd", arity: -2, flags: [.write, .denyoom, .fast], keys: [.at(1, [.rw, .insert])],
                    acl: [.hyperloglog], group: "hyperloglog", since: "2.8.9",
                    summary: "Adds the specified elements to the specified HyperLogLog.", handler: pfadd),
        CommandSpec("pfcount", arity: -2, flags: [.readonly],
                    keys: [KeySpec([.rw, .access], .index(1), .range(last: -1, step: 1, limit: 0),
                                   notes: "RW because it may change the internal representation of the key, and propagate to replicas")],
                    acl: [.hyperloglog], group: "hyperloglog", since: "2.8.9",
                    summary: "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).",
                    handler: pfcount),
        CommandSpec("pfmerge", arity: -2, flags: [.write, .denyoom],
                    keys: [.at(1, [.rw, .access, .insert]), .all(from: 2, [.ro, .access])],
                    acl: [.hyperloglog], group: "hyperloglog", since: "2.8.9",
                    summary: "Merge N different HyperLogLogs into a single one.", handler: pfmerge),
        CommandSpec("pfdebug", arity: 3, flags: [.write, .denyoom, .admin], keys: [.at(2, [.rw, .access])],
                    acl: [.hyperloglog], group: "hyperloglog", since: "2.8.9",
                    summary: "Internal commands for debugging HyperLogLog values", handler: pfdebug),
        CommandSpec("pfselftest", arity: 1, flags: [.admin], acl: [.hyperloglog], group: "hyperloglog", since: "2.8.9",
                    summary: "An internal command for testing HyperLogLog values", handler: pfselftest),
    ]

    static let corrupt = "INVALIDOBJ Corrupted HLL object detected"
    static let notHLL = "WRONGTYPE Key is not a valid HyperLogLog string value."

    /// The string at `p` if it is an HLL (else nil after WRONGTYPE, as Redis answers both
    /// for other types and for strings that are not HLLs).
    static func hllBytes(_ ctx: CommandContext, at p: Int) -> Bytes? {
        guard let s = ctx.db.main.entries[p].value.stringBytes else { ctx.wrongType(); return nil }
        guard s.withUnsafeBytes({ HyperLogLog.looksValid($0) }) else { ctx.out.error(notHLL); return nil }
        return s
    }

    enum CachedHeader { case wrongType, invalid, cached(UInt64), stale }

    /// What PFCOUNT of one key needs first, read where the value lies: copying the value
    /// out of its entry (as `hllBytes` does) was the larger part of a cached PFCOUNT, and
    /// a copy held while the cache is updated would make the update copy 12 KB.
    static func cachedHeader(_ ctx: CommandContext, at p: Int) -> CachedHeader {
        ctx.withDB { d in d.main.borrowValue(at: p) { value in
            value.withStringBytes { bytes -> CachedHeader in
                guard HyperLogLog.looksValid(bytes) else { return .invalid }
                return HyperLogLog.cachedCardinality(bytes).map { .cached($0) } ?? .stale
            } ?? .wrongType
        } }
    }

    /// The HLL at `p`, taken out of its entry (give it back with `put`); nil after the
    /// error reply.
    static func take(_ ctx: CommandContext, at p: Int) -> HyperLogLog? {
        guard let s = hllBytes(ctx, at: p) else { return nil }
        var bytes: [UInt8] = []
        ctx.db.main.withValue(at: p) { v in
            if case .raw(let a) = v { bytes = a; v = .int(0) } else { bytes = s.array }
        }
        return HyperLogLog(bytes: bytes)
    }

    static func put(_ ctx: CommandContext, _ hll: HyperLogLog, at p: Int) {
        ctx.db.main.setValue(.raw(hll.bytes), at: p)
    }

    /// The HLL a write starts from: the one at `position`, taken out (nil after the error
    /// reply), or a new empty one for a missing key.
    static func takeOrEmpty(_ ctx: CommandContext, at position: Int?) -> HyperLogLog? {
        guard let p = position else { return .empty() }
        return take(ctx, at: p)
    }

    /// Gives the HLL back to its entry, or adds it as `key` when the key was missing.
    static func store(_ ctx: CommandContext, _ hll: HyperLogLog, at position: Int?, _ key: Bytes) {
        if let p = position { put(ctx, hll, at: p) } else { ctx.db.add(key, .raw(hll.bytes), clock: ctx.lruClock) }
    }

    static func pfadd(_ ctx: CommandContext) {
        let key = ctx.args[1]
        let position = ctx.lookupWrite(key)
        let added = position.flatMap { addToDenseInPlace(ctx, at: $0) } ?? addTakingOut(ctx, at: position, key)
        guard let updated = added else { return }
        if updated > 0 {
            ctx.notify(.string, "pfadd", key)
            ctx.dirty += updated
        }
        ctx.out.integer(updated > 0 ? 1 : 0)
    }

    /// PFADD's elements added to the HLL at `position` (or a new one), taken out of its
    /// entry and given back: how many registers grew (a new key counts one), or nil after
    /// the error reply.
    private static func addTakingOut(_ ctx: CommandContext, at position: Int?, _ key: Bytes) -> Int? {
        guard var hll = takeOrEmpty(ctx, at: position) else { return nil }
        // A sparse HLL may turn out corrupt half way: it is then given back as it was (with
        // one element, nothing was changed before the corruption was found).
        let original = hll.isDense || ctx.args.count <= 3 ? nil : hll.bytes
        var updated = position == nil ? 1 : 0
        for element in ctx.args.dropFirst(2) {
            switch element.withUnsafeBytes({ hll.add($0, sparseBytesMax: ctx.settings.hllSparseBytesMax) }) {
            case true?: updated += 1
            case false?: break
            case nil:
                if let p = position { put(ctx, HyperLogLog(bytes: original ?? hll.bytes), at: p) }
                ctx.out.error(corrupt)
                return nil
            }
        }
        if updated > 0 { hll.invalidateCache() }
        store(ctx, hll, at: position, key)
        return updated
    }

    /// PFADD's elements added to the dense HLL at `p` where it lies: taking the 12 KB
    /// string out of its entry and putting it back (take, put) cost several times the
    /// register updates (retains and releases of the value). Returns how many registers
    /// grew, or nil, having changed nothing, when the value is not a dense HLL in a `.raw`
    /// string (the general path takes it from there).
    static func addToDenseInPlace(_ ctx: CommandContext, at p: Int) -> Int? {
        ctx.db.main.withValue(at: p) { v -> Int? in
            guard case .raw(let a) = v, a.count == HyperLogLog.denseSize,
                  a.withUnsafeBytes({ HyperLogLog.looksValid($0) && $0[4] == 0 }) else { return nil }
            var hll = HyperLogLog(bytes: a)
            v = .int(0)  // the string has one owner while it changes: no copy on write
            defer { v = .raw(hll.bytes) }
            var updated = 0
            for element in ctx.args.dropFirst(2)
            where element.withUnsafeBytes({ hll.add($0, sparseBytesMax: ctx.settings.hllSparseBytesMax) }) == true {
                updated += 1
            }
            if updated > 0 { hll.invalidateCache() }
            return updated
        }
    }

    static func pfcount(_ ctx: CommandContext) {
        if ctx.args.count > 2 {
            guard let registers = union(ctx, ctx.args.dropFirst()) else { return }
            ctx.out.integer(Int(HyperLogLog.estimate(HyperLogLog.histogram(ofRegisters: registers.registers))))
            return
        }
        let key = ctx.args[1]
        guard let p = ctx.lookupRead(key) else { ctx.out.integer(0); return }
        switch cachedHeader(ctx, at: p) {
        case .wrongType: ctx.wrongType(); return
        case .invalid: ctx.out.error(notHLL); return
        case .cached(let cardinality): ctx.out.integer(Int(truncatingIfNeeded: cardinality)); return
        case .stale: break
        }
        guard var hll = take(ctx, at: p) else { return }
        guard let histogram = hll.histogram() else {
            put(ctx, hll, at: p)
            ctx.out.error(corrupt)
            return
        }
        let cardinality = HyperLogLog.estimate(histogram)
        hll.cache(cardinality)
        put(ctx, hll, at: p)
        // The cache is part of the value (GET shows it): a change, logged as Redis
        // propagates it, as the PFCOUNT that recomputes it.
        ctx.db.touches.touch(ctx.db.index, key)
        ctx.dirty += 1
        ctx.propagate(["PFCOUNT", key])
        ctx.out.integer(Int(truncatingIfNeeded: cardinality))
    }

    /// The registers of the union of `keys` (missing keys are empty), and whether any was
    /// dense; nil after the error reply.
    static func union(_ ctx: CommandContext, _ keys: ArraySlice<Bytes>) -> (registers: [UInt8], anyDense: Bool)? {
        var registers = [UInt8](repeating: 0, count: HyperLogLog.registerCount)
        var anyDense = false
        for key in keys {
            guard let p = ctx.lookupRead(key) else { continue }
            guard let s = hllBytes(ctx, at: p) else { return nil }
            let hll = HyperLogLog(bytes: s.array)
            if hll.isDense { anyDense = true }
            guard hll.merge(into: &registers) else {
                ctx.out.error(corrupt)
                return nil
            }
        }
        return (registers, anyDense)
    }

    static func pfmerge(_ ctx: CommandContext) {
        let key = ctx.args[1]
        guard let (registers, anyDense) = union(ctx, ctx.args.dropFirst()) else { return }
        let position = ctx.lookupWrite(key)
        guard var hll = takeOrEmpty(ctx, at: position) else { return }
        if anyDense && !hll.toDense() {
            if let p = position { put(ctx, hll, at: p) }
            ctx.out.error(corrupt)
            return
        }
        for (r, value) in registers.enumerated() where value > 0 {
            _ = hll.set(r, value, sparseBytesMax: ctx.settings.hllSparseBytesMax)
        }
        hll.invalidateCache()
        store(ctx, hll, at: position, key)
        ctx.notify(.string, "pfadd", key)
        ctx.dirty += 1
        ctx.out.ok()
    }

    static func pfdebug(_ ctx: CommandContext) {
        let key = ctx.args[2]
        guard let p = ctx.lookupWrite(key) else {
            ctx.out.error("ERR The specified key does not exist")
            return
        }
        guard var hll = take(ctx, at: p) else { return }
        defer { put(ctx, hll, at: p) }
        switch ctx.args[1].lowercased.string {
        case "getreg":
            if !hll.isDense {
                guard hll.toDense() else { ctx.out.error(corrupt); return }
                ctx.dirty += 1
            }
            ctx.out.arrayHeader(HyperLogLog.registerCount)
            for r in 0..<HyperLogLog.registerCount { ctx.out.integer(Int(hll.register(r))) }
        case "decode":
            guard !hll.isDense else { ctx.out.error("ERR HLL encoding is not sparse"); return }
            ctx.out.bulk(hll.decoded())
        case "encoding":
            ctx.out.simple(hll.isDense ? "dense" : "sparse")
        case "todense":
            var converted = false
            if !hll.isDense {
                guard hll.toDense() else { ctx.out.error(corrupt); return }
                converted = true
                ctx.dirty += 1
            }
            ctx.out.integer(converted ? 1 : 0)
        default:
            ctx.out.error("ERR Unknown PFDEBUG subcommand '\(ctx.args[1].string)'")
        }
    }

    /// Redis's self test: the dense registers keep what is set in them without disturbing
    /// their neighbours; then ten million elements go into a dense and a sparse HLL, which
    /// must agree and stay within six standard errors at every power of ten.
    static func pfselftest(_ ctx: CommandContext) {
        var generator = SystemRandomNumberGenerator()
        var dense = [UInt8](repeating: 0, count: HyperLogLog.denseSize)
        var expected = [UInt8](repeating: 0, count: HyperLogLog.registerCount)
        for _ in 0..<1000 {
            dense.withUnsafeMutableBufferPointer { d in
                for r in 0..<HyperLogLog.registerCount {
                    let v = UInt8.random(in: 0...63, using: &generator)
                    expected[r] = v
                    HyperLogLog.setDenseRegister(d.baseAddress!, r, v)
                }
            }
            let reader = HyperLogLog(bytes: dense)
            for r in 0..<HyperLogLog.registerCount where reader.register(r) != expected[r] {
                ctx.out.error("TESTFAILED Register \(r) should be \(expected[r]) but is \(reader.register(r))")
                return
            }
        }
        if let failure = agreementFailure(sparseBytesMax: ctx.settings.hllSparseBytesMax, using: &generator) {
            ctx.out.error(failure)
            return
        }
        ctx.out.ok()
    }

    private static func agreementFailure(sparseBytesMax: Int, using generator: inout SystemRandomNumberGenerator) -> String? {
        var dense = HyperLogLog.empty()
        _ = dense.toDense()
        var sparse = HyperLogLog.empty()
        let relativeError = 1.04 / Double(HyperLogLog.registerCount).squareRoot()
        let seed = UInt64.random(in: 0...UInt64.max, using: &generator)
        var checkpoint = 1
        for j in 1...10_000_000 {
            var element = UInt64(j) ^ seed
            withUnsafeBytes(of: &element) { e in
                _ = dense.add(e, sparseBytesMax: sparseBytesMax)
                _ = sparse.add(e, sparseBytesMax: sparseBytesMax)
            }
            guard j == checkpoint else { continue }
            if j < sparseBytesMax / 2 && sparse.isDense { return "TESTFAILED sparse encoding not used" }
            let count = HyperLogLog.estimate(dense.histogram()!)
            if count != sparse.histogram().map(HyperLogLog.estimate) { return "TESTFAILED dense/sparse disagree" }
            let error = abs(checkpoint - Int(count))
            let allowed = j == 10 ? 1 : Int((relativeError * 6 * Double(checkpoint)).rounded(.up))
            if error > allowed { return "TESTFAILED Too big error. card:\(checkpoint) abserr:\(error)" }
            checkpoint *= 10
        }
        return nil
    }
}

extension HyperLogLog {
    /// Whether a string passes Redis's check for an HLL (isHLLObjectOrReply).
    static func looksValid(_ b: UnsafeRawBufferPointer) -> Bool {
        guard b.count >= headerSize, b[0] == 72, b[1] == 89, b[2] == 76, b[3] == 76, b[4] <= 1 else { return false }
        return b[4] == 1 || b.count == denseSize
    }

    static func cachedCardinality(_ b: UnsafeRawBufferPointer) -> UInt64? {
        guard b[15] & 0x80 == 0 else { return nil }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(b[8 + i]) << (8 * UInt64(i)) }
        return v
    }

    /// PFDEBUG DECODE's text: `z:N` ZERO, `Z:N` XZERO, `v:value,run` VAL.
    func decoded() -> String {
        var parts: [String] = []
        var p = HyperLogLog.headerSize
        while p < bytes.count {
            let op = bytes[p]
            if op & 0xc0 == 0 {
                parts.append("z:\(Int(op & 0x3f) + 1)")
                p += 1
            } else if op & 0x80 == 0 {
                let low = p + 1 < bytes.count ? Int(bytes[p + 1]) : 0
                parts.append("Z:\((Int(op & 0x3f) << 8 | low) + 1)")
                p += 2
            } else {
                parts.append("v:\(Int(op >> 2 & 0x1f) + 1),\(Int(op & 3) + 1)")
                p += 1
            }
        }
        return parts.joined(separator: " ")
    }
}
