import CairnCore

/// The server's ACL users, the default one always among them, and the ACL log. Owned by
/// the execution context: admission, AUTH, HELLO, scripts and the ACL command read it.
public final class ACLUsers {
    public let defaultUser: ACLUser
    private(set) var users: [String: ACLUser] = [:]
    public var log = ACLLog()
    /// acl-pubsub-default: whether a new user (or one RESET) may use every channel.
    public var pubsubDefaultAll = false
    let table: CommandTable

    init(table: CommandTable) {
        self.table = table
        defaultUser = ACLUsers.makeDefault(table)
        users["default"] = defaultUser
    }

    /// The default user as Redis creates it: on, nopass, every command, key and channel.
    private static func makeDefault(_ table: CommandTable) -> ACLUser {
        let u = ACLUser(name: "default", allChannels: false)
        for rule: Bytes in ["+@all", "~*", "&*", "on", "nopass"] {
            try? u.apply(rule, table, pubsubDefaultAll: false)
        }
        return u
    }

    public func user(named name: String) -> ACLUser? { users[name] }

    /// Every user, by name (as Redis's radix tree orders them).
    public var all: [ACLUser] { users.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }.map { users[$0]! } }

    /// ACL SETUSER: applies `rules` to a copy of the user (or a new one) and, when all of
    /// them are valid, makes it the user. Returns the user before the change (nil when it is
    /// new), or the failing rule and why.
    public func setUser(_ name: String, _ rules: [Bytes]) -> Result<ACLUser?, SetUserFailure> {
        let merged: [Bytes]
        switch ACLRules.mergeSelectors(rules) {
        case .success(let m): merged = m
        case .failure(let unclosed): return .failure(.unclosedSelector(rules[unclosed.index]))
        }
        let existing = users[name]
        let staged = existing?.copy(named: name) ?? ACLUser(name: name, allChannels: pubsubDefaultAll)
        for rule in merged {
            do { try staged.apply(rule, table, pubsubDefaultAll: pubsubDefaultAll) } catch {
                return .failure(.rule(rule, error as? ACLRuleError ?? .syntax))
            }
        }
        let before = existing?.copy(named: name)
        if let existing { existing.take(staged) } else { users[name] = staged }
        return .success(before)
    }

    public enum SetUserFailure: Error {
        case unclosedSelector(Bytes)
        case rule(Bytes, ACLRuleError)
    }

    /// Removes a user (not the default one); the server then closes its connections.
    public func remove(_ name: String) -> ACLUser? {
        guard name != "default" else { return nil }
        return users.removeValue(forKey: name)
    }

    /// The user `name` logs in as with `password`, or nil (no such user, disabled, or a
    /// wrong password).
    public func authenticate(_ name: Bytes, _ password: Bytes) -> ACLUser? {
        guard let u = users[name.string], u.accepts(password) else { return nil }
        return u
    }

    /// Whether a client must AUTH before anything else: the default user has a password
    /// or is off.
    public var authRequired: Bool { !defaultUser.noPass || !defaultUser.enabled }

    /// requirepass: the default user's one password, or nopass when empty.
    public func setDefaultPassword(_ password: String) {
        try? defaultUser.apply("resetpass", table, pubsubDefaultAll: pubsubDefaultAll)
        let rule: Bytes = password.isEmpty ? "nopass" : Bytes(">" + password)
        try? defaultUser.apply(rule, table, pubsubDefaultAll: pubsubDefaultAll)
    }

    /// Replaces every user with those of an aclfile's text (lines trimmed, words split at
    /// single spaces, no quoting, as Redis reads them); see `load(_:file:)`.
    public func load(text: String, file: String) -> (errors: String?, removed: [ACLUser]) {
        var lines: [(number: Int, words: [Bytes])] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = raw[...]
            while let f = line.first, " \t\r\n".contains(f) { line = line.dropFirst() }
            while let l = line.last, " \t\r\n".contains(l) { line = line.dropLast() }
            if line.isEmpty { continue }
            lines.append((i + 1, line.split(separator: " ", omittingEmptySubsequences: false).map { Bytes(String($0)) }))
        }
        return load(lines, file: file)
    }

    /// Replaces every user with `definitions` ("user <name> rules..." lines, already split),
    /// or changes nothing and returns the errors (Redis's ACLLoadFromFile, whose messages
    /// name `file` and the line). The default user keeps its identity: sessions refer to it.
    public func load(_ lines: [(number: Int, words: [Bytes])], file: String) -> (errors: String?, removed: [ACLUser]) {
        var errors = ""
        var loaded: [String: ACLUser] = [:]
        for (number, words) in lines where !words.isEmpty {
            guard words[0] == "user", words.count >= 2 else {
                errors += "\(file):\(number) should start with user keyword followed by the username. "
                continue
            }
            let name = words[1].string
            if ACLSelector.hasSpaces(words[1].withUnsafeBytes { Array($0) }) {
                errors += "'\(file):\(number): username '\(name)' contains invalid characters. "
                continue
            }
            if loaded[name] != nil {
                errors += "WARNING: Duplicate user '\(name)' found on line \(number). "
                continue
            }
            let u = ACLUser(name: name, allChannels: pubsubDefaultAll)
            loaded[name] = u
            guard case .success(let rules) = ACLRules.mergeSelectors(Array(words.dropFirst(2))) else {
                errors += "\(file):\(number): Unmatched parenthesis in selector definition."
                continue
            }
            for rule in rules {
                do { try u.apply(rule, table, pubsubDefaultAll: pubsubDefaultAll) } catch {
                    errors += "\(file):\(number): Error in applying operation '\(rule.string)': \((error as? ACLRuleError ?? .syntax).message). "
                }
            }
        }
        if !errors.isEmpty {
            return (errors + "WARNING: ACL errors detected, no change to the previously active ACL rules was performed", [])
        }
        defaultUser.take(loaded["default"] ?? ACLUsers.makeDefault(table))
        loaded["default"] = defaultUser
        // Every other user is a new object now: the old ones' clients are closed.
        let removed = users.values.filter { $0 !== defaultUser }
        users = loaded
        return (nil, removed)
    }

    /// The aclfile text of every user (ACL SAVE).
    public func fileText() -> String {
        all.map { "user \($0.name) \($0.describe(table))\n" }.joined()
    }

    /// ACL LIST's line for a user.
    public func describe(_ user: ACLUser) -> String { "user \(user.name) \(user.describe(table))" }

    /// The command rules for ACL GETUSER of one selector (0: the root one).
    public func selectorFields(_ user: ACLUser) -> [(commands: String, keys: String, channels: String)] {
        user.selectors.map { (ACLRules.describeCommands($0, table), $0.keysDescription, $0.channelsDescription) }
    }

    /// Validates a config file's `user` line without keeping it (Redis's
    /// ACLAppendUserForLoading): the index of the bad rule, or nil. Unknown commands pass.
    public func validate(_ rules: [Bytes]) -> (index: Int, error: ACLRuleError)? {
        guard case .success(let merged) = ACLRules.mergeSelectors(rules) else { return (0, .syntax) }
        let u = ACLUser(name: "", allChannels: pubsubDefaultAll)
        for (i, rule) in merged.enumerated() {
            do { try u.apply(rule, table, pubsubDefaultAll: pubsubDefaultAll) } catch {
                let e = error as? ACLRuleError ?? .syntax
                if e != .unknownCommand { return (i, e) }
            }
        }
        return nil
    }
}
