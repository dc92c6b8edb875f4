import CairnCore

/// The slow log (Redis's slowlog.c): calls that ran at least slowlog-log-slower-than
/// microseconds, at most slowlog-max-len of them, the oldest dropped first. Each keeps a
/// bounded copy of its arguments (32 at most, each cut at 128 bytes), so a huge command
/// costs the log no more than a small one.
public struct SlowLog {
    public struct Entry {
        public let id: Int64
        public let unixSeconds: Int64
        public let microseconds: Int64
        public let arguments: [Bytes]
        public let client: String
        public let clientName: Bytes
    }

    static let argumentsMax = 32
    static let argumentBytesMax = 128

    /// Oldest first from `head`; slots before `head` were dropped and are compacted away
    /// now and then, so dropping the oldest stays cheap however long the log is.
    private var storage: [Entry?] = []
    private var head = 0
    /// Ids keep counting across SLOWLOG RESET, as Redis's do.
    private var nextID: Int64 = 0

    public init() {}

    public var count: Int { storage.count - head }

    /// The newest `limit` entries, newest first.
    public func newest(_ limit: Int) -> [Entry] {
        var out: [Entry] = []
        var i = storage.count - 1
        while i >= head && out.count < limit {
            out.append(storage[i]!)
            i -= 1
        }
        return out
    }

    public mutating func reset() {
        storage.removeAll()
        head = 0
    }

    /// Logs a call that took `microseconds` (the caller decided it was slow enough),
    /// dropping the oldest entries beyond `lengthMax`.
    mutating func record(_ arguments: [Bytes], redacted: [Int], microseconds: Int64, client: String, clientName: Bytes,
                         lengthMax: Int) {
        storage.append(Entry(id: nextID, unixSeconds: Clock.unixMilliseconds() / 1000, microseconds: microseconds,
                             arguments: Self.kept(arguments, redacted: redacted), client: client, clientName: clientName))
        nextID += 1
        trim(to: lengthMax)
    }

    /// Drops the oldest entries beyond `lengthMax` (a smaller slowlog-max-len takes effect
    /// at the next entry, as in Redis).
    private mutating func trim(to lengthMax: Int) {
        while count > max(0, lengthMax) {
            storage[head] = nil
            head += 1
        }
        if head > 64 && head * 2 > storage.count {
            storage.removeFirst(head)
            head = 0
        }
    }

    /// The arguments as the log keeps them (slowlogCreateEntry): past 32, the last kept
    /// slot says how many more there were; a longer argument keeps its first 128 bytes
    /// and says how many it lost; sensitive ones read "(redacted)".
    static func kept(_ arguments: [Bytes], redacted: [Int]) -> [Bytes] {
        let n = min(arguments.count, argumentsMax)
        var kept: [Bytes] = []
        kept.reserveCapacity(n)
        for j in 0..<n {
            if n != arguments.count && j == n - 1 {
                kept.append(Bytes("... (\(arguments.count - n + 1) more arguments)"))
            } else if redacted.contains(j) {
                kept.append("(redacted)")
            } else if arguments[j].count > argumentBytesMax {
                let a = arguments[j]
                kept.append(Bytes(bytes: a.withUnsafeBytes { Array($0.prefix(argumentBytesMax)) }
                                  + Array("... (\(a.count - argumentBytesMax) more bytes)".utf8)))
            } else {
                kept.append(arguments[j])
            }
        }
        return kept
    }
}
