import CairnCore

/// What a command does with a key, with the names Redis 7.0's key specs use.
public struct KeyFlags: OptionSet, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let ro = KeyFlags(rawValue: 1 << 0)
    public static let rw = KeyFlags(rawValue: 1 << 1)
    public static let ow = KeyFlags(rawValue: 1 << 2)
    public static let rm = KeyFlags(rawValue: 1 << 3)
    public static let access = KeyFlags(rawValue: 1 << 4)
    public static let update = KeyFlags(rawValue: 1 << 5)
    public static let insert = KeyFlags(rawValue: 1 << 6)
    public static let delete = KeyFlags(rawValue: 1 << 7)
    public static let notKey = KeyFlags(rawValue: 1 << 8)
    public static let incomplete = KeyFlags(rawValue: 1 << 9)
    public static let variableFlags = KeyFlags(rawValue: 1 << 10)

    static let names: [(KeyFlags, String)] = [
        (.ro, "RO"), (.rw, "RW"), (.ow, "OW"), (.rm, "RM"), (.access, "access"), (.update, "update"),
        (.insert, "insert"), (.delete, "delete"), (.notKey, "not_key"), (.incomplete, "incomplete"),
        (.variableFlags, "variable_flags"),
    ]

    public var names: [String] { KeyFlags.names.filter { contains($0.0) }.map { $0.1 } }
}

/// Where a command's keys are among its arguments, as data (Redis 7.0's key specs): where
/// the search begins (a fixed index, after a keyword, or unknown) and how the keys are
/// found from there (a range, a count argument, or unknown). COMMAND GETKEYS, COMMAND INFO
/// and (next) ACL key patterns and cluster slots read them.
public struct KeySpec: Sendable {
    public enum BeginSearch: Sendable {
        case index(Int)
        /// The argument after `keyword`, searched from `from` (backwards when negative).
        case keyword(String, from: Int)
        case unknown
    }

    public enum FindKeys: Sendable {
        /// From the first key to `last` (relative to it; negative: from the end, or with
        /// `limit`, a 1/limit share of what follows), every `step`.
        case range(last: Int, step: Int, limit: Int)
        /// The argument at `index` (relative to the beginning) counts the keys, the first
        /// of which is at `first` (relative too), every `step`.
        case keynum(index: Int, first: Int, step: Int)
        case unknown
    }

    public let flags: KeyFlags
    public let begin: BeginSearch
    public let find: FindKeys
    public let notes: String?

    public init(_ flags: KeyFlags, _ begin: BeginSearch, _ find: FindKeys, notes: String? = nil) {
        self.flags = flags
        self.begin = begin
        self.find = find
        self.notes = notes
    }
}

/// A key found among a command's arguments: its position and what the command does with it.
public struct KeyReference: Equatable, Sendable {
    public let position: Int
    public let flags: KeyFlags
    public init(position: Int, flags: KeyFlags) {
        self.position = position
        self.flags = flags
    }
}

/// Finds the keys of a command whose key specs cannot (SORT's STORE anywhere, SET's flags
/// that depend on GET), as Redis's getkeys procedures do.
public typealias KeyFinder = ([Bytes]) -> [KeyReference]

extension KeySpec {
    /// The one key at argument `index`.
    public static func at(_ index: Int, _ flags: KeyFlags) -> KeySpec {
        KeySpec(flags, .index(index), .range(last: 0, step: 1, limit: 0))
    }

    /// Every argument from `index` on is a key.
    public static func all(from index: Int, _ flags: KeyFlags) -> KeySpec {
        KeySpec(flags, .index(index), .range(last: -1, step: 1, limit: 0))
    }
}

extension KeySpec {
    /// Redis's legacy (first, last, step) range from the key specs, and whether some keys
    /// are beyond what it can say ("movablekeys"): one plain range spec is taken as it is;
    /// otherwise consecutive ranges of step 1 are joined, and any other spec (keyword,
    /// count, unknown, a gap, an incomplete one) makes the keys movable.
    static func legacyRange(_ specs: [KeySpec]) -> (first: Int, last: Int, step: Int, movable: Bool) {
        if specs.isEmpty { return (0, 0, 0, false) }
        if specs.count == 1, case .index(let index) = specs[0].begin, case .range(let last, let step, _) = specs[0].find {
            return (index, last < 0 ? last : index + last, step, specs[0].flags.contains(.incomplete))
        }
        var first = Int.max, lastAbsolute = 0, previousLast = 0, movable = false
        for spec in specs {
            guard case .index(let index) = spec.begin, case .range(let last, let step, _) = spec.find,
                  step == 1, previousLast == 0 || previousLast == index - 1 else {
                movable = true
                continue
            }
            if spec.flags.contains(.incomplete) { movable = true }
            first = min(first, index)
            let absolute = last >= 0 ? index + last : last
            // Compared as unsigned, as Redis does: a negative (from the end) wins.
            if UInt(bitPattern: absolute) > UInt(bitPattern: lastAbsolute) { lastAbsolute = absolute }
            previousLast = lastAbsolute
        }
        if first == Int.max { return (0, 0, 0, true) }
        return (first, lastAbsolute, 1, movable)
    }

    /// The keys this spec finds in `args`, or nil when the arguments do not fit it (a
    /// count that is not a number, a range past the end) or it cannot know (unknown, or
    /// incomplete): Redis's getKeysUsingKeySpecs for one spec.
    func keys(in args: [Bytes]) -> [KeyReference]? {
        let argc = args.count
        var first = 0
        switch begin {
        case .index(let index):
            first = index
        case .keyword(let keyword, let from):
            let start = from > 0 ? from : argc + from
            let end = from > 0 ? argc - 1 : 0
            var i = start
            while i >= 1 && i < argc {
                if args[i].lowercased == Bytes(keyword.lowercased()) {
                    first = i + 1
                    break
                }
                if i == end { break }
                i += start <= end ? 1 : -1
            }
            if first == 0 { return [] }
        case .unknown:
            return nil
        }
        var last: Int
        let step: Int
        switch find {
        case .range(let lastKey, let keyStep, let limit):
            step = keyStep
            if lastKey >= 0 {
                last = first + lastKey
            } else if limit == 0 {
                last = argc + lastKey
            } else {
                last = first + ((argc - first) / limit + lastKey)
            }
        case .keynum(let index, let firstKey, let keyStep):
            step = keyStep
            guard first + index < argc, let count = args[first + index].int64, count >= 0 else { return nil }
            first += firstKey
            // Redis adds the count as a C int: a count past 2^31 wraps, as there.
            last = first + Int(Int32(truncatingIfNeeded: count)) - 1
        case .unknown:
            return nil
        }
        if last >= argc || last < first || first >= argc { return nil }
        var found: [KeyReference] = []
        var i = first
        while i <= last {
            if i >= argc { break }
            found.append(KeyReference(position: i, flags: flags))
            i += step
        }
        if flags.contains(.incomplete) { return nil }
        return found
    }
}

extension CommandSpec {
    /// The keys of a call with `args` (name included), in the order Redis's COMMAND
    /// GETKEYS gives them: from the key specs when they can tell (none unknown or
    /// incomplete, no flags that depend on the arguments), else from the command's own
    /// finder; nil when neither finds any.
    public func keys(in args: [Bytes]) -> [KeyReference] {
        let variable = keySpecs.contains { $0.flags.contains(.variableFlags) }
        if !keySpecs.isEmpty && !variable {
            var all: [KeyReference]? = []
            for spec in keySpecs where !spec.flags.contains(.notKey) {
                guard let found = spec.keys(in: args) else {
                    all = nil
                    break
                }
                all! += found
            }
            if let all { return all }
        }
        return keyFinder?(args) ?? []
    }

    /// Whether the command takes keys at all (COMMAND GETKEYS refuses the others); specs
    /// that are all `not_key` (SSUBSCRIBE's shard channels) name no keys, as in Redis.
    public var hasKeys: Bool { keyFinder != nil || keySpecs.contains { !$0.flags.contains(.notKey) } }
}

extension KeySpec {
    /// The keys of a command whose count argument did not fit its spec (not an integer,
    /// past the end), as Redis's genericGetKeys finds them: the count read as C's atoi
    /// (so "1.5" is 1), `first` on, then the destination at `store`; none when the count
    /// is below 1 or names more keys than follow. Redis gives these keys no flags.
    public static func countedKeys(count countIndex: Int, first: Int, store: Int? = nil) -> KeyFinder {
        { args in
            guard countIndex < args.count else { return [] }
            let count = Int(cAtoi(args[countIndex]))
            guard count >= 1, count <= args.count - first else { return [] }
            var keys = (0..<count).map { KeyReference(position: first + $0, flags: []) }
            if let store { keys.append(KeyReference(position: store, flags: [])) }
            return keys
        }
    }

    /// C's atoi as glibc has it: strtol's reading (leading space, a sign, digits, saturated
    /// at the long range) cut to an int.
    static func cAtoi(_ bytes: Bytes) -> Int32 {
        var value: Int64 = 0, negative = false, saturated = false
        var started = false
        for c in bytes.withUnsafeBytes({ Array($0) }) {
            if !started {
                if c == 32 || (c >= 9 && c <= 13) { continue }
                started = true
                if c == UInt8(ascii: "-") || c == UInt8(ascii: "+") {
                    negative = c == UInt8(ascii: "-")
                    continue
                }
            }
            guard c >= 48 && c <= 57 else { break }
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(Int64(c - 48))
            if o1 || o2 { saturated = true; break }
            value = sum
        }
        let long: Int64 = saturated ? (negative ? Int64.min : Int64.max) : (negative ? -value : value)
        return Int32(truncatingIfNeeded: long)
    }
}
