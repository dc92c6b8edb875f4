import CairnCore

/// One bit per command and subcommand (CommandSpec.aclID), plus Redis's reserved last bit:
/// set only by +@all, it means "and commands added later", which decides whether a
/// description starts from +@all or -@all.
public struct ACLCommandBits: Equatable, Sendable {
    static let capacity = 1024
    static let futureCommandsBit = capacity - 1
    private var words = [UInt64](repeating: 0, count: capacity / 64)

    subscript(id: Int) -> Bool {
        get { id >= 0 && id < Self.capacity && words[id >> 6] & (1 << UInt64(id & 63)) != 0 }
        set {
            guard id >= 0 && id < Self.capacity else { return }
            if newValue { words[id >> 6] |= 1 << UInt64(id & 63) } else { words[id >> 6] &= ~(1 << UInt64(id & 63)) }
        }
    }

    static var all: ACLCommandBits {
        var bits = ACLCommandBits()
        bits.words = [UInt64](repeating: .max, count: capacity / 64)
        return bits
    }
}

/// What a key pattern grants: reading, writing, or both (`~`, `%R~`, `%W~`, `%RW~`).
public struct ACLKeyPermission: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let read = ACLKeyPermission(rawValue: 1)
    public static let write = ACLKeyPermission(rawValue: 2)
    public static let all: ACLKeyPermission = [.read, .write]

    /// What a command needs of a key its key spec flags so (Redis's ACLSelectorCheckKey).
    init(needed flags: KeyFlags) {
        var p: ACLKeyPermission = []
        if flags.contains(.access) { p.insert(.read) }
        if !flags.isDisjoint(with: [.insert, .delete, .update]) { p.insert(.write) }
        self = p
    }
}

public struct ACLKeyPattern: Sendable {
    public let pattern: Bytes
    public var permission: ACLKeyPermission

    /// As ACL LIST and GETUSER show it.
    var description: String {
        switch permission {
        case .read: return "%R~" + pattern.string
        case .write: return "%W~" + pattern.string
        default: return "~" + pattern.string
        }
    }
}

/// Why a rule of ACL SETUSER (or an aclfile line) was refused, with Redis's texts.
public enum ACLRuleError: Error, Sendable {
    case syntax, unknownCommand, keyPatternAfterAll, channelPatternAfterAll, noSuchPassword, badHash
    case firstArgOfSubcommand, duplicateUser

    public var message: String {
        switch self {
        case .syntax: return "Syntax error"
        case .unknownCommand: return "Unknown command or category name in ACL"
        case .keyPatternAfterAll:
            return "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
        case .channelPatternAfterAll:
            return "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"
        case .noSuchPassword: return "The password you are trying to remove from the user does not exist"
        case .badHash: return "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"
        case .firstArgOfSubcommand: return "Allowing first-arg of a subcommand is not supported"
        case .duplicateUser: return "Duplicate user found. A user can only be defined once in config files"
        }
    }
}

/// Why a call was refused, in Redis's order of relevance (ACL_DENIED_*): when no selector
/// allows a call, the most relevant reason is reported.
public enum ACLDenial: Int, Comparable, Sendable {
    case command = 1, key = 2, auth = 3, channel = 4
    public static func < (a: ACLDenial, b: ACLDenial) -> Bool { a.rawValue < b.rawValue }
}

/// A set of permissions: the commands, keys and channels a user's root selector or one of
/// its `(...)` selectors allows (Redis 7.0's aclSelector). A call is allowed when one of a
/// user's selectors allows all of it.
public struct ACLSelector: Sendable {
    var commands = ACLCommandBits()
    var allCommands = false
    var allKeys = false
    var allChannels: Bool
    var keyPatterns: [ACLKeyPattern] = []
    var channels: [Bytes] = []
    /// "+select|0": first arguments allowed for a command whose bit is clear.
    var firstArgs: [Int: [Bytes]] = [:]

    init(allChannels: Bool) {
        self.allChannels = allChannels
    }

    /// Applies one rule (Redis's ACLSetSelector).
    mutating func apply(_ op: Bytes, _ table: CommandTable) throws {
        let lower = op.lowercased
        switch lower {
        case "allkeys", "~*":
            allKeys = true
            keyPatterns = []
            return
        case "resetkeys":
            allKeys = false
            keyPatterns = []
            return
        case "allchannels", "&*":
            allChannels = true
            channels = []
            return
        case "resetchannels":
            allChannels = false
            channels = []
            return
        case "allcommands", "+@all":
            commands = .all
            allCommands = true
            firstArgs = [:]
            return
        case "nocommands", "-@all":
            commands = ACLCommandBits()
            allCommands = false
            firstArgs = [:]
            return
        default:
            break
        }
        let bytes = Array(op.withUnsafeBytes { Array($0) })
        guard let first = bytes.first else { throw ACLRuleError.syntax }
        let second: UInt8? = bytes.count > 1 ? bytes[1] : nil
        switch first {
        case UInt8(ascii: "~"), UInt8(ascii: "%"):
            try addKeyPattern(bytes)
        case UInt8(ascii: "&"):
            if allChannels { throw ACLRuleError.channelPatternAfterAll }
            let pattern = Array(bytes.dropFirst())
            if ACLSelector.hasSpaces(pattern) { throw ACLRuleError.syntax }
            let p = Bytes(pattern)
            if !channels.contains(p) { channels.append(p) }
            allChannels = false
        case UInt8(ascii: "+") where second != UInt8(ascii: "@"):
            try allow(String(decoding: bytes.dropFirst(), as: UTF8.self), table)
        case UInt8(ascii: "-") where second != UInt8(ascii: "@"):
            guard let spec = ACLSelector.lookup(String(decoding: bytes.dropFirst(), as: UTF8.self), table) else {
                throw ACLRuleError.unknownCommand
            }
            change(spec, allow: false)
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard let category = ACLCategories(name: String(decoding: bytes.dropFirst(2), as: UTF8.self)) else {
                throw ACLRuleError.unknownCommand
            }
            setCategory(category, allow: first == UInt8(ascii: "+"), table)
        default:
            throw ACLRuleError.syntax
        }
    }

    private mutating func addKeyPattern(_ bytes: [UInt8]) throws {
        if allKeys { throw ACLRuleError.keyPatternAfterAll }
        var permission: ACLKeyPermission = []
        var offset = 1
        if bytes[0] == UInt8(ascii: "%") {
            while offset < bytes.count {
                let c = bytes[offset] & ~0x20  // upper case for letters
                if c == UInt8(ascii: "R") && !permission.contains(.read) {
                    permission.insert(.read)
                } else if c == UInt8(ascii: "W") && !permission.contains(.write) {
                    permission.insert(.write)
                } else if bytes[offset] == UInt8(ascii: "~") {
                    offset += 1
                    break
                } else {
                    throw ACLRuleError.syntax
                }
                offset += 1
            }
            // "%~x" grants nothing; "%R" and "%R~" are an empty pattern, as in Redis.
            if permission.isEmpty { throw ACLRuleError.syntax }
        } else {
            permission = .all
        }
        let pattern = Array(bytes[min(offset, bytes.count)...])
        if ACLSelector.hasSpaces(pattern) { throw ACLRuleError.syntax }
        let p = Bytes(pattern)
        if let i = keyPatterns.firstIndex(where: { $0.pattern == p }) {
            keyPatterns[i].permission.formUnion(permission)
        } else {
            keyPatterns.append(ACLKeyPattern(pattern: p, permission: permission))
        }
        allKeys = false
    }

    /// "+cmd", "+cmd|sub", or "+cmd|first-arg" for a command without subcommands.
    private mutating func allow(_ name: String, _ table: CommandTable) throws {
        guard let bar = name.lastIndex(of: "|") else {
            guard let spec = ACLSelector.lookup(name, table) else { throw ACLRuleError.unknownCommand }
            change(spec, allow: true)
            return
        }
        let parentName = String(name[..<bar]), argument = String(name[name.index(after: bar)...])
        guard let parent = ACLSelector.lookup(parentName, table) else { throw ACLRuleError.unknownCommand }
        if parent.isSubcommand { throw ACLRuleError.firstArgOfSubcommand }
        if argument.isEmpty { throw ACLRuleError.syntax }
        if !parent.subcommands.isEmpty {
            guard let sub = parent.subcommands[Bytes(argument.lowercased())] else { throw ACLRuleError.unknownCommand }
            change(sub, allow: true)
        } else {
            let arg = Bytes(argument)
            var list = firstArgs[parent.aclID] ?? []
            if !list.contains(where: { $0.lowercased == arg.lowercased }) { list.append(arg) }
            firstArgs[parent.aclID] = list
        }
    }

    /// A command or "container|subcommand" by name, as ACL rules name them.
    static func lookup(_ name: String, _ table: CommandTable) -> CommandSpec? {
        let parts = name.lowercased().split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count <= 2, let top = table.commands[Bytes(String(parts[0]))] else { return nil }
        if parts.count == 1 { return top }
        return top.subcommands[Bytes(String(parts[1]))]
    }

    /// Allows or forbids a command, and with a container every subcommand of it.
    mutating func change(_ spec: CommandSpec, allow: Bool) {
        setBit(spec.aclID, allow)
        firstArgs[spec.aclID] = nil
        for sub in spec.subcommands.values { setBit(sub.aclID, allow) }
    }

    private mutating func setBit(_ id: Int, _ value: Bool) {
        commands[id] = value
        if !value { allCommands = false }
    }

    mutating func setCategory(_ category: ACLCategories, allow: Bool, _ table: CommandTable) {
        for spec in table.aclOrder where !spec.categories.isDisjoint(with: category) {
            change(spec, allow: allow)
        }
    }

    /// Whether `bytes` holds a space or a NUL (not allowed in names and patterns).
    public static func hasSpaces(_ bytes: [UInt8]) -> Bool {
        bytes.contains { $0 == 0 || $0 == 32 || ($0 >= 9 && $0 <= 13) }
    }
}

extension ACLSelector {
    /// Why this selector refuses the call `args` of `spec`, and the position of the key or
    /// channel at fault; nil when it allows it (Redis's ACLSelectorCheckCmd).
    func refusal(_ spec: CommandSpec, _ args: [Bytes], keys: inout [KeyReference]?) -> (ACLDenial, Int)? {
        if !allCommands && !spec.flags.contains(.noAuth) && !commands[spec.aclID] {
            guard args.count >= 2, let allowed = firstArgs[spec.aclID] else { return (.command, 0) }
            let argument = args[spec.isSubcommand ? 2 : 1].lowercased
            if !allowed.contains(where: { $0.lowercased == argument }) { return (.command, 0) }
        }
        if !allKeys && spec.hasKeys {
            if keys == nil { keys = spec.keys(in: args) }
            for key in keys! where !allowsKey(args[key.position], ACLKeyPermission(needed: key.flags)) {
                return (.key, key.position)
            }
        }
        if !allChannels {
            for (position, isPattern) in ACLChannels.checked(spec, args) where !allowsChannel(args[position], isPattern: isPattern) {
                return (.channel, position)
            }
        }
        return nil
    }

    func allowsKey(_ key: Bytes, _ needed: ACLKeyPermission) -> Bool {
        if allKeys { return true }
        return keyPatterns.contains { $0.permission.isSuperset(of: needed) && globMatch(pattern: $0.pattern, string: key) }
    }

    /// A channel is matched against the patterns; a PSUBSCRIBE pattern only literally.
    func allowsChannel(_ channel: Bytes, isPattern: Bool) -> Bool {
        if allChannels { return true }
        return channels.contains { isPattern ? $0 == channel : globMatch(pattern: $0, string: channel) }
    }
}

/// The channels a call names that ACL checks: PUBLISH's and SPUBLISH's, and those (or the
/// patterns) a client subscribes to. Unsubscribing needs no permission, as in Redis.
enum ACLChannels {
    static func checked(_ spec: CommandSpec, _ args: [Bytes]) -> [(position: Int, isPattern: Bool)] {
        guard spec.flags.contains(.pubsub) else { return [] }
        switch spec.fullName {
        case "publish", "spublish": return [(1, false)]
        case "subscribe", "ssubscribe": return (1..<args.count).map { ($0, false) }
        case "psubscribe": return (1..<args.count).map { ($0, true) }
        default: return []
        }
    }
}
