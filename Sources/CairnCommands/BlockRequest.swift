import CairnCore

/// What a blocking command (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP) leaves for the engine
/// when none of its keys can serve it now: the client waits on these keys, first come
/// first served, until a push serves it or the deadline passes.
public struct BlockRequest: Sendable {
    public enum Operation: Sendable {
        /// BLPOP / BRPOP: reply [key, element].
        case pop(left: Bool)
        /// BLMOVE / BRPOPLPUSH: pop from the key, push onto `destination`, reply the element.
        case move(fromLeft: Bool, toLeft: Bool, destination: Bytes)
        /// BLMPOP: reply [key, [up to count elements]].
        case multiPop(left: Bool, count: Int)
        /// BZPOPMIN / BZPOPMAX: reply [key, member, score].
        case zpop(max: Bool)
        /// BZMPOP: reply [key, [[member, score], ...]].
        case zmultiPop(max: Bool, count: Int)
    }

    public var operation: Operation
    public var database: Int
    public var keys: [Bytes]
    /// Absolute Unix milliseconds; nil to wait for ever.
    public var deadlineMs: Int64?

    public init(operation: Operation, database: Int, keys: [Bytes], deadlineMs: Int64?) {
        self.operation = operation
        self.database = database
        self.keys = keys
        self.deadlineMs = deadlineMs
    }
}
