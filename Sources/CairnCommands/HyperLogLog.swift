import Glibc

/// Redis's HyperLogLog as a string value, byte for byte (hyperloglog.c): a 16-byte header
/// ("HYLL", the encoding, three zero bytes, the cached cardinality little-endian with its
/// top bit set when stale), then 16384 registers, either dense (6 bits each, from each
/// byte's low bits up) or sparse (run lengths: ZERO 00xxxxxx, XZERO 01xxxxxx yyyyyyyy,
/// VAL 1vvvvvxx). Every change is made as Redis makes it, so that the bytes, and so GET,
/// DUMP and PFCOUNT, are the same on both servers.
struct HyperLogLog {
    static let registerCount = 1 << 14
    /// Bits of the hash left after the register index (Redis's HLL_Q).
    static let q = 50
    static let headerSize = 16
    static let denseSize = headerSize + (registerCount * 6 + 7) / 8
    static let sparseValueMax = 32
    static let sparseRunMax = 4
    static let zeroRunMax = 64
    static let xzeroRunMax = 16384

    var bytes: [UInt8]

    /// An empty HLL: sparse, one XZERO run over every register, cached cardinality 0.
    static func empty() -> HyperLogLog {
        HyperLogLog(bytes: [72, 89, 76, 76, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                            0x40 | UInt8((xzeroRunMax - 1) >> 8), UInt8((xzeroRunMax - 1) & 0xff)])
    }

    init(bytes: [UInt8]) { self.bytes = bytes }

    var isDense: Bool { bytes[4] == 0 }

    // MARK: - The cached cardinality

    mutating func cache(_ cardinality: UInt64) {
        for i in 0..<8 { bytes[8 + i] = UInt8(truncatingIfNeeded: cardinality >> (8 * UInt64(i))) }
    }

    mutating func invalidateCache() { bytes[15] |= 0x80 }

    // MARK: - Hashing

    /// MurmurHash64A, as Redis uses it (little-endian words, its seed).
    static func hash(_ data: UnsafeRawBufferPointer) -> UInt64 {
        let m: UInt64 = 0xc6a4a7935bd1e995
        let len = data.count
        var h: UInt64 = 0xadc83b19 ^ (UInt64(truncatingIfNeeded: len) &* m)
        let words = len / 8
        for w in 0..<words {
            var k = UInt64(littleEndian: data.loadUnaligned(fromByteOffset: w * 8, as: UInt64.self))
            k = k &* m
            k ^= k >> 47
            k = k &* m
            h ^= k
            h = h &* m
        }
        let tail = len & 7
        if tail > 0 {
            for i in stride(from: tail - 1, through: 0, by: -1) {
                h ^= UInt64(data[words * 8 + i]) << (8 * UInt64(i))
            }
            h = h &* m
        }
        h ^= h >> 47
        h = h &* m
        h ^= h >> 47
        return h
    }

    /// The register an element falls in and the length of its run of zeroes plus one.
    static func pattern(_ data: UnsafeRawBufferPointer) -> (index: Int, count: UInt8) {
        var h = hash(data)
        let index = Int(h & UInt64(registerCount - 1))
        h >>= 14
        h |= 1 << UInt64(q)
        return (index, UInt8(h.trailingZeroBitCount + 1))
    }

    // MARK: - Dense registers

    static func denseRegister(_ b: UnsafePointer<UInt8>, _ r: Int) -> UInt8 {
        let bit = r * 6, byte = headerSize + bit >> 3, shift = bit & 7
        var v = UInt16(b[byte]) >> shift
        if shift > 2 { v |= UInt16(b[byte + 1]) << (8 - shift) }
        return UInt8(v & 63)
    }

    static func setDenseRegister(_ b: UnsafeMutablePointer<UInt8>, _ r: Int, _ value: UInt8) {
        let bit = r * 6, byte = headerSize + bit >> 3, shift = bit & 7
        let v = UInt16(value)
        b[byte] = b[byte] & ~UInt8(truncatingIfNeeded: 63 << shift) | UInt8(truncatingIfNeeded: v << shift)
        if shift > 2 {
            b[byte + 1] = b[byte + 1] & ~UInt8(63 >> (8 - shift)) | UInt8(truncatingIfNeeded: v >> (8 - shift))
        }
    }

    func register(_ r: Int) -> UInt8 {
        bytes.withUnsafeBufferPointer { HyperLogLog.denseRegister($0.baseAddress!, r) }
    }

    // MARK: - Adding

    /// Adds an element: true when a register grew, false when none did, nil when the
    /// sparse form is corrupt.
    mutating func add(_ element: UnsafeRawBufferPointer, sparseBytesMax: Int) -> Bool? {
        let (index, count) = HyperLogLog.pattern(element)
        return set(index, count, sparseBytesMax: sparseBytesMax)
    }

    /// Raises register `index` to `count` if below it (Redis's hllDenseSet/hllSparseSet).
    mutating func set(_ index: Int, _ count: UInt8, sparseBytesMax: Int) -> Bool? {
        if isDense {
            guard register(index) < count else { return false }
            bytes.withUnsafeMutableBufferPointer { HyperLogLog.setDenseRegister($0.baseAddress!, index, count) }
            return true
        }
        return sparseSet(index, count, sparseBytesMax: sparseBytesMax)
    }

    /// The length of the sparse opcode at `p` and the registers it covers.
    private func opcode(at p: Int) -> (length: Int, span: Int) {
        let op = bytes[p]
        if op & 0xc0 == 0 { return (1, Int(op & 0x3f) + 1) }
        if op & 0x80 != 0 { return (1, Int(op & 0x3) + 1) }
        let low = p + 1 < bytes.count ? Int(bytes[p + 1]) : 0
        return (2, (Int(op & 0x3f) << 8 | low) + 1)
    }

    private static func val(_ value: Int, _ run: Int) -> UInt8 { UInt8(0x80 | (value - 1) << 2 | (run - 1)) }

    private mutating func sparseSet(_ index: Int, _ count: UInt8, sparseBytesMax: Int) -> Bool? {
        if Int(count) > HyperLogLog.sparseValueMax { return promote(index, count) }
        // Find the opcode that covers the register.
        var p = HyperLogLog.headerSize, first = 0, span = 0
        var prev: Int?
        while p < bytes.count {
            let op = opcode(at: p)
            span = op.span
            if index <= first + span - 1 { break }
            prev = p
            p += op.length
            first += span
        }
        guard span != 0, p < bytes.count else { return nil }
        let op = bytes[p]
        let isVal = op & 0x80 != 0, isXZero = !isVal && op & 0x40 != 0
        let runLength = opcode(at: p).span
        if isVal {
            let old = Int(op >> 2 & 0x1f) + 1
            if old >= Int(count) { return false }
            if runLength == 1 {
                bytes[p] = HyperLogLog.val(Int(count), 1)
                mergeValues(from: prev ?? HyperLogLog.headerSize)
                return true
            }
        } else if !isXZero && runLength == 1 {
            bytes[p] = HyperLogLog.val(Int(count), 1)
            mergeValues(from: prev ?? HyperLogLog.headerSize)
            return true
        }
        // Split the run into at most three: before, the register, after.
        let last = first + span - 1
        var seq = Opcodes()
        if isVal {
            let current = Int(op >> 2 & 0x1f) + 1
            if index != first { seq.append(HyperLogLog.val(current, index - first)) }
            seq.append(HyperLogLog.val(Int(count), 1))
            if index != last { seq.append(HyperLogLog.val(current, last - index)) }
        } else {
            if index != first { seq.appendZeros(index - first) }
            seq.append(HyperLogLog.val(Int(count), 1))
            if index != last { seq.appendZeros(last - index) }
        }
        let oldLength = isXZero ? 2 : 1
        if seq.count > oldLength && bytes.count + seq.count - oldLength > sparseBytesMax {
            return promote(index, count)
        }
        withUnsafeBytes(of: seq.storage) { bytes.replaceSubrange(p..<(p + oldLength), with: $0.prefix(seq.count)) }
        mergeValues(from: prev ?? HyperLogLog.headerSize)
        return true
    }

    /// The opcodes a split writes (at most five bytes: XZERO, VAL, XZERO), kept off the heap.
    private struct Opcodes {
        var storage: (UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0)
        var count = 0

        mutating func append(_ b: UInt8) {
            let i = count
            withUnsafeMutableBytes(of: &storage) { $0[i] = b }
            count += 1
        }

        /// A run of zero registers as ZERO or XZERO.
        mutating func appendZeros(_ length: Int) {
            if length > HyperLogLog.zeroRunMax {
                append(0x40 | UInt8((length - 1) >> 8))
                append(UInt8((length - 1) & 0xff))
            } else {
                append(UInt8(length - 1))
            }
        }
    }

    /// Joins neighbouring VAL opcodes of one value whose runs fit in one, scanning at most
    /// five opcodes from `start` (the opcode before the change), as Redis does.
    private mutating func mergeValues(from start: Int) {
        var p = start, scan = 5
        while p < bytes.count && scan > 0 {
            scan -= 1
            let op = bytes[p]
            if op & 0xc0 == 0x40 { p += 2; continue }
            if op & 0xc0 == 0 { p += 1; continue }
            if p + 1 < bytes.count && bytes[p + 1] & 0x80 != 0 {
                let next = bytes[p + 1]
                let v1 = Int(op >> 2 & 0x1f), v2 = Int(next >> 2 & 0x1f)
                let run = Int(op & 3) + Int(next & 3) + 2
                if v1 == v2 && run <= HyperLogLog.sparseRunMax {
                    bytes[p + 1] = HyperLogLog.val(v1 + 1, run)
                    bytes.remove(at: p)
                    continue
                }
            }
            p += 1
        }
    }

    /// Converts to dense and sets the register there (a value or a size sparse cannot hold).
    private mutating func promote(_ index: Int, _ count: UInt8) -> Bool? {
        guard toDense() else { return nil }
        bytes.withUnsafeMutableBufferPointer { HyperLogLog.setDenseRegister($0.baseAddress!, index, count) }
        return true
    }

    /// Rewrites a sparse HLL as dense, header kept; false when the sparse runs are corrupt.
    mutating func toDense() -> Bool {
        if isDense { return true }
        var dense = [UInt8](repeating: 0, count: HyperLogLog.denseSize)
        for i in 0..<HyperLogLog.headerSize { dense[i] = bytes[i] }
        dense[4] = 0
        var ok = false
        dense.withUnsafeMutableBufferPointer { d in
            ok = forEachRun { start, run, value in
                if value > 0 { for r in start..<(start + run) { HyperLogLog.setDenseRegister(d.baseAddress!, r, value) } }
            }
        }
        guard ok else { return false }
        bytes = dense
        return true
    }

    /// Calls `body` with each sparse run (first register, length, value); false when the
    /// runs do not cover exactly the 16384 registers.
    @discardableResult
    func forEachRun(_ body: (Int, Int, UInt8) -> Void) -> Bool {
        var p = HyperLogLog.headerSize, index = 0
        while p < bytes.count {
            let op = bytes[p]
            let (length, run) = opcode(at: p)
            if index + run > HyperLogLog.registerCount { return false }
            body(index, run, op & 0x80 != 0 ? (op >> 2 & 0x1f) + 1 : 0)
            index += run
            p += length
        }
        return index == HyperLogLog.registerCount
    }

    // MARK: - Counting

    /// How many registers hold each value; nil when the sparse form is corrupt.
    func histogram() -> [Int]? {
        var h = [Int](repeating: 0, count: 64)
        if isDense {
            h.withUnsafeMutableBufferPointer { counts in forEachDenseRegister { _, v in counts[Int(v)] += 1 } }
            return h
        }
        var index = 0, p = HyperLogLog.headerSize
        while p < bytes.count {
            let op = bytes[p]
            let (length, run) = opcode(at: p)
            h[op & 0x80 != 0 ? Int(op >> 2 & 0x1f) + 1 : 0] += run
            index += run
            p += length
        }
        return index == HyperLogLog.registerCount ? h : nil
    }

    /// Raises `registers` (one byte per register) to this HLL's; false when corrupt.
    func merge(into registers: inout [UInt8]) -> Bool {
        if isDense {
            registers.withUnsafeMutableBufferPointer { max in
                forEachDenseRegister { r, v in if v > max[r] { max[r] = v } }
            }
            return true
        }
        return forEachRun { start, run, value in
            for r in start..<(start + run) where value > registers[r] { registers[r] = value }
        }
    }

    /// Calls `body` with every dense register and its value: four registers from each
    /// three bytes.
    @inline(__always)
    func forEachDenseRegister(_ body: (Int, UInt8) -> Void) {
        bytes.withUnsafeBufferPointer { b in
            var p = HyperLogLog.headerSize
            for r in stride(from: 0, to: HyperLogLog.registerCount, by: 4) {
                let b0 = b[p], b1 = b[p + 1], b2 = b[p + 2]
                body(r, b0 & 63)
                body(r + 1, (b0 >> 6 | b1 << 2) & 63)
                body(r + 2, (b1 >> 4 | b2 << 4) & 63)
                body(r + 3, b2 >> 2)
                p += 3
            }
        }
    }

    static func histogram(ofRegisters registers: [UInt8]) -> [Int] {
        var h = [Int](repeating: 0, count: 64)
        for v in registers { h[Int(v)] += 1 }
        return h
    }

    /// The cardinality from a register histogram: Ertl's estimator ("New cardinality
    /// estimation algorithms for HyperLogLog sketches"), in Redis's order of operations so
    /// that the result is the same to the unit.
    static func estimate(_ h: [Int]) -> UInt64 {
        let m = Double(registerCount)
        var z = m * tau((m - Double(h[q + 1])) / m)
        for j in stride(from: q, through: 1, by: -1) {
            z += Double(h[j])
            z *= 0.5
        }
        z += m * sigma(Double(h[0]) / m)
        let alphaInfinity = 0.721347520444481703680  // 0.5 / ln 2
        return UInt64((alphaInfinity * m * m / z).rounded(.toNearestOrAwayFromZero))
    }

    private static func tau(_ x0: Double) -> Double {
        if x0 == 0 || x0 == 1 { return 0 }
        var x = x0, y = 1.0, z = 1 - x0, previous = 0.0
        repeat {
            x = x.squareRoot()
            previous = z
            y *= 0.5
            z -= pow(1 - x, 2) * y
        } while previous != z
        return z / 3
    }

    private static func sigma(_ x0: Double) -> Double {
        if x0 == 1 { return .infinity }
        var x = x0, y = 1.0, z = x0, previous = 0.0
        repeat {
            x *= x
            previous = z
            z += x * y
            y += y
        } while previous != z
        return z
    }
}
