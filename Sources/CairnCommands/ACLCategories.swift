/// Redis's ACL command categories. A command declares the ones its flags do not imply
/// (its data type, @keyspace, @dangerous, @transaction, @connection...); `implied(by:)`
/// adds the rest as Redis 7.0 does (setImplicitACLCategories), so COMMAND INFO, and
/// later ACL rules, see the same sets as Redis's.
public struct ACLCategories: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let keyspace = ACLCategories(rawValue: 1 << 0)
    public static let read = ACLCategories(rawValue: 1 << 1)
    public static let write = ACLCategories(rawValue: 1 << 2)
    public static let set = ACLCategories(rawValue: 1 << 3)
    public static let sortedset = ACLCategories(rawValue: 1 << 4)
    public static let list = ACLCategories(rawValue: 1 << 5)
    public static let hash = ACLCategories(rawValue: 1 << 6)
    public static let string = ACLCategories(rawValue: 1 << 7)
    public static let bitmap = ACLCategories(rawValue: 1 << 8)
    public static let hyperloglog = ACLCategories(rawValue: 1 << 9)
    public static let geo = ACLCategories(rawValue: 1 << 10)
    public static let stream = ACLCategories(rawValue: 1 << 11)
    public static let pubsub = ACLCategories(rawValue: 1 << 12)
    public static let admin = ACLCategories(rawValue: 1 << 13)
    public static let fast = ACLCategories(rawValue: 1 << 14)
    public static let slow = ACLCategories(rawValue: 1 << 15)
    public static let blocking = ACLCategories(rawValue: 1 << 16)
    public static let dangerous = ACLCategories(rawValue: 1 << 17)
    public static let connection = ACLCategories(rawValue: 1 << 18)
    public static let transaction = ACLCategories(rawValue: 1 << 19)
    public static let scripting = ACLCategories(rawValue: 1 << 20)

    /// In Redis's order (ACL CAT lists them so).
    static let names: [(ACLCategories, String)] = [
        (.keyspace, "keyspace"), (.read, "read"), (.write, "write"), (.set, "set"), (.sortedset, "sortedset"),
        (.list, "list"), (.hash, "hash"), (.string, "string"), (.bitmap, "bitmap"), (.hyperloglog, "hyperloglog"),
        (.geo, "geo"), (.stream, "stream"), (.pubsub, "pubsub"), (.admin, "admin"), (.fast, "fast"), (.slow, "slow"),
        (.blocking, "blocking"), (.dangerous, "dangerous"), (.connection, "connection"), (.transaction, "transaction"),
        (.scripting, "scripting"),
    ]

    /// Every category's name, in Redis's order (ACL CAT).
    public static var allNames: [String] { names.map { $0.1 } }

    public var names: [String] { ACLCategories.names.filter { contains($0.0) }.map { $0.1 } }

    /// The category called `name` (any case), or nil.
    public init?(name: String) {
        guard let found = ACLCategories.names.first(where: { $0.1 == name.lowercased() }) else { return nil }
        self = found.0
    }

    /// The categories Redis derives from a command's flags.
    public static func implied(by flags: CommandFlags, declared: ACLCategories) -> ACLCategories {
        var c: ACLCategories = []
        if flags.contains(.write) { c.insert(.write) }
        if flags.contains(.readonly) && !declared.contains(.scripting) { c.insert(.read) }
        if flags.contains(.admin) { c.formUnion([.admin, .dangerous]) }
        if flags.contains(.pubsub) { c.insert(.pubsub) }
        if flags.contains(.fast) { c.insert(.fast) }
        if flags.contains(.blocking) { c.insert(.blocking) }
        if !c.contains(.fast) { c.insert(.slow) }
        return c
    }
}
