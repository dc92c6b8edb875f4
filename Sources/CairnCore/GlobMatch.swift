/// Glob-style matching as Redis's KEYS, SCAN MATCH and CONFIG GET use it:
/// `*`, `?`, `[abc]`, `[^a-z]`, and `\` to escape. Recursion on `*` is capped, as in Redis,
/// so a hostile pattern cannot exhaust the stack or run for ever.
public func globMatch(pattern: Bytes, string: Bytes, noCase: Bool = false) -> Bool {
    pattern.withUnsafeBytes { p in
        string.withUnsafeBytes { s in
            var skipLongerMatches = false
            return globMatchImpl(p[...], s[...], noCase, &skipLongerMatches, 0)
        }
    }
}

public func globMatch(pattern: String, string: String, noCase: Bool = false) -> Bool {
    globMatch(pattern: Bytes(pattern), string: Bytes(string), noCase: noCase)
}

private func lower(_ c: UInt8) -> UInt8 { (c >= 65 && c <= 90) ? c | 0x20 : c }

private func globMatchImpl(_ pattern: Slice<UnsafeRawBufferPointer>, _ string: Slice<UnsafeRawBufferPointer>,
                           _ noCase: Bool, _ skipLongerMatches: inout Bool, _ nesting: Int) -> Bool {
    if nesting > 1000 { return false }
    var p = pattern.startIndex
    var s = string.startIndex
    let pe = pattern.endIndex
    let se = string.endIndex
    while p < pe && s < se {
        let pc = pattern[p]
        switch pc {
        case UInt8(ascii: "*"):
            while p + 1 < pe && pattern[p + 1] == UInt8(ascii: "*") { p += 1 }
            if p + 1 == pe { return true }
            var t = s
            while t < se {
                if globMatchImpl(pattern[(p + 1)...], string[t...], noCase, &skipLongerMatches, nesting + 1) {
                    return true
                }
                if skipLongerMatches { return false }
                t += 1
            }
            skipLongerMatches = true
            return false
        case UInt8(ascii: "?"):
            s += 1
        case UInt8(ascii: "["):
            p += 1
            var negate = false
            if p < pe && pattern[p] == UInt8(ascii: "^") { negate = true; p += 1 }
            var matched = false
            while true {
                if p >= pe { p -= 1; break }
                let c = pattern[p]
                if c == UInt8(ascii: "\\") && p + 1 < pe {
                    p += 1
                    if pattern[p] == string[s] { matched = true }
                } else if c == UInt8(ascii: "]") {
                    break
                } else if p + 2 < pe && pattern[p + 1] == UInt8(ascii: "-") {
                    var start = pattern[p]
                    var end = pattern[p + 2]
                    var ch = string[s]
                    if start > end { swap(&start, &end) }
                    if noCase { start = lower(start); end = lower(end); ch = lower(ch) }
                    p += 2
                    if ch >= start && ch <= end { matched = true }
                } else {
                    if noCase ? lower(c) == lower(string[s]) : c == string[s] { matched = true }
                }
                p += 1
            }
            if negate { matched = !matched }
            if !matched { return false }
            s += 1
        case UInt8(ascii: "\\"):
            if p + 1 < pe { p += 1 }
            fallthrough
        default:
            let c = pattern[p]
            if noCase ? lower(c) != lower(string[s]) : c != string[s] { return false }
            s += 1
        }
        p += 1
        if s == se {
            while p < pe && pattern[p] == UInt8(ascii: "*") { p += 1 }
            break
        }
    }
    return p == pe && s == se
}
