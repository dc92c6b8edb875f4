import CairnCore

/// An ACL user (Redis 7.0's `user`): whether it may log in, its passwords (SHA-256 in
/// hex), and its selectors, the first being the root one that rules outside parentheses
/// change. A session refers to its user, so ACL SETUSER takes effect on the next call.
public final class ACLUser {
    public let name: String
    public internal(set) var enabled = false
    public internal(set) var noPass = false
    /// nil, "sanitize-payload" or "skip-sanitize-payload" (Redis keeps either flag once set).
    var sanitizePayload: Bool?
    public internal(set) var passwords: [String] = []
    var selectors: [ACLSelector] {
        didSet { unrestricted = selectors.count == 1 && selectors[0].allowsEverything }
    }
    /// One selector allows every command, key and channel: admission skips the checks.
    public private(set) var unrestricted = false

    init(name: String, allChannels: Bool) {
        self.name = name
        selectors = [ACLSelector(allChannels: allChannels)]
    }

    /// A user with the same rules under another name (to stage ACL SETUSER's changes).
    func copy(named name: String) -> ACLUser {
        let u = ACLUser(name: name, allChannels: false)
        u.take(self)
        return u
    }

    /// Takes `other`'s rules (not its name), as Redis's ACLCopyUser.
    func take(_ other: ACLUser) {
        enabled = other.enabled
        noPass = other.noPass
        sanitizePayload = other.sanitizePayload
        passwords = other.passwords
        selectors = other.selectors
    }

    /// Applies one rule of ACL SETUSER (Redis's ACLSetUser).
    func apply(_ op: Bytes, _ table: CommandTable, pubsubDefaultAll: Bool) throws {
        if op.isEmpty { return }
        let bytes = op.withUnsafeBytes { Array($0) }
        switch op.lowercased {
        case "on": enabled = true
        case "off": enabled = false
        case "skip-sanitize-payload": sanitizePayload = false
        case "sanitize-payload": sanitizePayload = true
        case "nopass":
            noPass = true
            passwords = []
        case "resetpass":
            noPass = false
            passwords = []
        case "clearselectors":
            selectors.removeSubrange(1...)
        case "reset":
            noPass = false
            passwords = []
            selectors = [ACLSelector(allChannels: pubsubDefaultAll)]
            enabled = false
            sanitizePayload = true
        default:
            switch bytes[0] {
            case UInt8(ascii: ">"), UInt8(ascii: "#"):
                let hash = try ACLUser.hash(bytes)
                if !passwords.contains(hash) { passwords.append(hash) }
                noPass = false
            case UInt8(ascii: "<"), UInt8(ascii: "!"):
                let hash = try ACLUser.hash(bytes)
                guard let i = passwords.firstIndex(of: hash) else { throw ACLRuleError.noSuchPassword }
                passwords.remove(at: i)
            case UInt8(ascii: "(") where bytes.last == UInt8(ascii: ")"):
                var selector = ACLSelector(allChannels: pubsubDefaultAll)
                for rule in ACLRules.splitArguments(Array(bytes[1..<(bytes.count - 1)])) {
                    try selector.apply(rule, table)
                }
                selectors.append(selector)
            default:
                try selectors[0].apply(op, table)
            }
        }
    }

    /// The stored form of a ">password" or "<password" (hashed) or "#hash" or "!hash"
    /// (checked) rule.
    static func hash(_ rule: [UInt8]) throws -> String {
        let rest = Array(rule.dropFirst())
        if rule[0] == UInt8(ascii: ">") || rule[0] == UInt8(ascii: "<") {
            return rest.withUnsafeBytes { SHA256.hex($0) }
        }
        let valid = rest.count == 64 && rest.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
        guard valid else { throw ACLRuleError.badHash }
        return String(decoding: rest, as: UTF8.self)
    }

    /// Whether `password` logs this user in (disabled users never log in).
    func accepts(_ password: Bytes) -> Bool {
        guard enabled else { return false }
        if noPass { return true }
        let hash = password.withUnsafeBytes { SHA256.hex($0) }
        // Compare every stored hash in full, as Redis's time-independent comparison does.
        var found = false
        for p in passwords where ACLUser.sameInConstantTime(p, hash) { found = true }
        return found
    }

    private static func sameInConstantTime(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }

    /// Why this user may not make the call `args` of `spec` (the most relevant reason when
    /// no selector allows it) and the argument at fault; nil when one allows it.
    public func refusal(_ spec: CommandSpec, _ args: [Bytes]) -> (ACLDenial, Int)? {
        var keys: [KeyReference]?
        var worst: (ACLDenial, Int) = (.command, 0)
        for selector in selectors {
            guard let denial = selector.refusal(spec, args, keys: &keys) else { return nil }
            if denial.0 > worst.0 || (denial.0 == worst.0 && denial.1 > worst.1) { worst = denial }
        }
        return worst
    }

    /// Whether one selector allows the call and grants `needed` on every key (Redis's
    /// ACLUserCheckCmdWithUnrestrictedKeyAccess: SORT's BY and GET read keys by pattern).
    func hasUnrestrictedKeyAccess(_ spec: CommandSpec, _ args: [Bytes], _ needed: ACLKeyPermission) -> Bool {
        var keys: [KeyReference]?
        return selectors.contains { s in
            s.refusal(spec, args, keys: &keys) == nil
                && (s.allKeys || s.keyPatterns.contains { $0.pattern == "*" && $0.permission.isSuperset(of: needed) })
        }
    }

    /// Whether one selector grants every channel, or one matching `channel`.
    public func allowsChannel(_ channel: Bytes, isPattern: Bool) -> Bool {
        selectors.contains { $0.allowsChannel(channel, isPattern: isPattern) }
    }

    /// The user's flags as ACL GETUSER lists them, in Redis's order.
    public var flagNames: [String] {
        var names: [String] = [enabled ? "on" : "off"]
        if noPass { names.append("nopass") }
        if sanitizePayload == false { names.append("skip-sanitize-payload") }
        if sanitizePayload == true { names.append("sanitize-payload") }
        return names
    }

    /// The user as ACL LIST and aclfiles show it, without "user <name> ".
    func describe(_ table: CommandTable) -> String {
        var parts = flagNames
        parts += passwords.map { "#" + $0 }
        var text = parts.joined(separator: " ") + " " + selectors[0].describe(table)
        for s in selectors.dropFirst() { text += " (" + s.describe(table) + ")" }
        return text
    }
}

extension ACLSelector {
    var allowsEverything: Bool { allCommands && allKeys && allChannels }

    /// Keys, channels and command rules, as ACL LIST shows a selector.
    func describe(_ table: CommandTable) -> String {
        var text = ""
        if allKeys { text += "~* " } else { for p in keyPatterns { text += p.description + " " } }
        if allChannels { text += "&* " } else {
            text += "resetchannels "
            for c in channels { text += "&" + c.string + " " }
        }
        return text + ACLRules.describeCommands(self, table)
    }

    /// GETUSER's "keys" field.
    var keysDescription: String { allKeys ? "~*" : keyPatterns.map(\.description).joined(separator: " ") }

    /// GETUSER's "channels" field.
    var channelsDescription: String { allChannels ? "&*" : channels.map { "&" + $0.string }.joined(separator: " ") }
}
