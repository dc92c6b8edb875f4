import CCairnNumbers

/// Redis's strict integer syntax (string2ll): optional '-', no '+', no spaces,
/// no leading zeros, within Int64.
@inlinable
public func parseInt64(_ raw: UnsafeRawBufferPointer) -> Int64? {
    let n = raw.count
    if n == 0 || n > 20 { return nil }
    if n == 1 && raw[0] == UInt8(ascii: "0") { return 0 }
    var i = 0
    var negative = false
    if raw[0] == UInt8(ascii: "-") {
        negative = true
        i = 1
        if n == 1 { return nil }
    }
    let first = raw[i]
    guard first >= UInt8(ascii: "1") && first <= UInt8(ascii: "9") else { return nil }
    var v: UInt64 = 0
    while i < n {
        let c = raw[i]
        guard c >= 48 && c <= 57 else { return nil }
        let (m, o1) = v.multipliedReportingOverflow(by: 10)
        let (a, o2) = m.addingReportingOverflow(UInt64(c - 48))
        if o1 || o2 { return nil }
        v = a
        i += 1
    }
    if negative {
        if v > UInt64(Int64.max) + 1 { return nil }
        return v == UInt64(Int64.max) + 1 ? Int64.min : -Int64(v)
    }
    if v > UInt64(Int64.max) { return nil }
    return Int64(v)
}

extension Bytes {
    @inlinable
    public var int64: Int64? { withUnsafeBytes { parseInt64($0) } }

    /// A double as Redis accepts one (strtod, whole string, no NaN, no leading space).
    public var double: Double? {
        withUnsafeBytes { raw -> Double? in
            var out = 0.0
            guard raw.count > 0 else { return nil }
            return cairn_parse_double(raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count, &out) == 1 ? out : nil
        }
    }

    /// A double as Redis's range parsing reads one with strtod: leading spaces allowed,
    /// the empty string is 0, NaN refused.
    public var rangeDouble: Double? { parsedWithStrtod(cairn_parse_double_strtod) }

    /// A double as Redis's SORT reads a weight with strtod: leading spaces allowed, the
    /// empty string is 0, NaN and anything out of range (including subnormals) refused.
    public var sortDouble: Double? { parsedWithStrtod(cairn_parse_double_sort) }

    /// Runs one of the C strtod readers on these bytes (an empty string included, which
    /// strtod reads as 0).
    private func parsedWithStrtod(_ parse: (UnsafePointer<CChar>?, Int, UnsafeMutablePointer<Double>?) -> Int32) -> Double? {
        withUnsafeBytes { raw -> Double? in
            var out = 0.0
            let ok: Int32
            if let base = raw.baseAddress {
                ok = parse(base.assumingMemoryBound(to: CChar.self), raw.count, &out)
            } else {
                ok = "".withCString { parse($0, 0, &out) }
            }
            return ok == 1 ? out : nil
        }
    }

    /// A long double (80-bit on x86_64) as Redis's string2ld accepts one.
    public var longDouble: Float80? {
        withUnsafeBytes { raw -> Float80? in
            var out: Float80 = 0
            guard raw.count > 0 else { return nil }
            return cairn_parse_long_double(raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count, &out) == 1 ? out : nil
        }
    }
}

/// Decimal text of an integer, without a heap allocation (at most 20 bytes, so inline
/// for all but the longest values).
@inlinable
public func formatInt64(_ value: Int64) -> Bytes {
    var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes
    return withUnsafeMutableBytes(of: &scratch) { buf -> Bytes in
        let sign = value < 0 ? 1 : 0
        if sign == 1 { buf[0] = UInt8(ascii: "-") }
        let digits = decimalDigits(value.magnitude)
        storeDecimal(value.magnitude, digits: digits, at: buf.baseAddress! + sign)
        return Bytes(UnsafeRawBufferPointer(rebasing: buf[0..<(sign + digits)]))
    }
}

private func formatWith(_ body: (UnsafeMutablePointer<CChar>, Int) -> Int) -> Bytes {
    // On the stack: these run once per reply element (a geo search's distances).
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: 5200) { p -> Bytes in
        let n = min(body(p.baseAddress!, p.count), p.count - 1)
        return Bytes(UnsafeRawBufferPointer(start: p.baseAddress!, count: n))
    }
}

/// A double with `decimals` (1 to 17) digits after the point, as Redis 7.0's
/// fixedpoint_d2string writes geo distances: the value times 10^decimals rounded to the
/// nearest integer (ties to even, as llrint), then written with the point put back.
public func formatFixedPoint(_ value: Double, decimals: Int) -> Bytes {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = (value * scale).rounded(.toNearestOrEven)
    // Past Int64 llrint gives LLONG_MIN; such distances do not occur on the earth.
    let integer = scaled.magnitude < 9.2e18 ? Int64(scaled) : Int64.min
    return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 48) { out -> Bytes in
        // Digits from the right, the point after `decimals` of them, at least one before it.
        var at = out.count
        var rest = integer.magnitude
        var written = 0
        repeat {
            if written == decimals { at -= 1; out[at] = 46 }
            at -= 1
            out[at] = UInt8(48 + rest % 10)
            rest /= 10
            written += 1
        } while rest > 0 || written <= decimals
        if integer < 0 { at -= 1; out[at] = 45 }
        return Bytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(out)[at...]))
    }
}

/// "%.17g" of a double, as Redis 7.0 replies with one.
public func formatDoubleG17(_ value: Double) -> Bytes {
    formatWith { cairn_format_double_g17($0, $1, value) }
}

/// Redis's d2string.
public func formatDoubleD2String(_ value: Double) -> Bytes {
    formatWith { cairn_format_double_d2string($0, $1, value) }
}

/// Redis's ld2string in human-friendly mode (INCRBYFLOAT's reply and stored value);
/// nil when the text would not fit.
public func formatLongDoubleHuman(_ value: Float80) -> Bytes? {
    let b = formatWith { cairn_format_long_double_human($0, $1, value) }
    return b.isEmpty ? nil : b
}

/// Appends the decimal digits of a non-negative `value` to `out` (lengths and counts in
/// encoders: the hot path, so no intermediate string).
@inlinable
public func appendDecimal(_ value: Int, to out: inout [UInt8]) {
    if value < 10 {
        out.append(UInt8(48 + value))
        return
    }
    if value < 100 {
        out.append(UInt8(48 + value / 10))
        out.append(UInt8(48 + value % 10))
        return
    }
    var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes
    withUnsafeMutableBytes(of: &scratch) { buf in
        let digits = decimalDigits(value)
        storeDecimal(UInt64(value), digits: digits, at: buf.baseAddress!)
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buf[0..<digits]))
    }
}

/// Digits of a non-negative integer in decimal: a few comparisons, where dividing by ten
/// until nothing is left took a division per digit.
@inlinable @inline(__always)
public func decimalDigits(_ n: Int) -> Int { decimalDigits(UInt64(bitPattern: Int64(n))) }

/// Digits of `v` in decimal (`decimalDigits` for any unsigned 64-bit value).
@inlinable @inline(__always)
public func decimalDigits(_ v: UInt64) -> Int {
    if v < 100_000 {
        if v < 100 { return v < 10 ? 1 : 2 }
        return v < 1_000 ? 3 : v < 10_000 ? 4 : 5
    }
    if v < 10_000_000_000 {
        if v < 10_000_000 { return v < 1_000_000 ? 6 : 7 }
        return v < 100_000_000 ? 8 : v < 1_000_000_000 ? 9 : 10
    }
    var d = 11
    var rest = v / 100_000_000_000
    while rest > 0 { rest /= 10; d += 1 }
    return d
}

/// "00" to "99" in a row: decimal digits are written two at a time.
@usableFromInline let decimalDigitPairs: StaticString = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

/// Writes the `digits` decimal digits of `value` at `p` (`decimalDigits(value)` of them),
/// two at a time from the last.
@inlinable @inline(__always)
public func storeDecimal(_ value: UInt64, digits: Int, at p: UnsafeMutableRawPointer) {
    let pairs = UnsafeRawPointer(decimalDigitPairs.utf8Start)
    var v = value
    var i = digits
    while i >= 2 {
        let pair = Int(v % 100)
        v /= 100
        i -= 2
        p.storeBytes(of: pairs.loadUnaligned(fromByteOffset: pair * 2, as: UInt16.self), toByteOffset: i, as: UInt16.self)
    }
    if i == 1 { p.storeBytes(of: UInt8(48 + v), as: UInt8.self) }
}

/// Stores `<prefix><decimal count>\r\n` at `p` (count >= 0, `decimalDigits(count) + 3`
/// bytes of room); returns its length. RESP headers, in replies and in log records.
@inlinable @inline(__always)
public func storeRESPHeader(_ prefix: UInt8, _ count: Int, at p: UnsafeMutableRawPointer) -> Int {
    let digits = decimalDigits(count)
    p.storeBytes(of: prefix, as: UInt8.self)
    storeDecimal(UInt64(count), digits: digits, at: p + 1)
    p.storeBytes(of: UInt16(0x0A0D).littleEndian, toByteOffset: 1 + digits, as: UInt16.self)
    return digits + 3
}

/// The number of set bits in `bytes` (BITCOUNT's whole bytes).
public func countSetBits(_ bytes: UnsafeRawBufferPointer) -> Int {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return 0 }
    return Int(cairn_popcount(base.assumingMemoryBound(to: UInt8.self), bytes.count))
}
