import CairnCommands
import CairnCore
import Glibc

/// Where users come from: requirepass (the default user's password), the config file's
/// `user` lines, or an aclfile in Redis's format (ACL LOAD and ACL SAVE), as Redis 7.0
/// loads them.
extension Engine {
    /// At start, before any client: a bad rule stops the server, as in Redis.
    func loadUsers() throws {
        let users = ctx.users
        applyACLSettings()
        users.setDefaultPassword(config.requirepass)
        if !config.aclfile.isEmpty && !config.userDirectives.isEmpty {
            throw ConfigError("Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.")
        }
        var seen = Set<String>()
        for words in config.userDirectives {
            let name = words[0]
            let rules = words.dropFirst().map { Bytes($0) }
            if let (index, error) = users.validate(rules) {
                throw ConfigError("Error in user declaration '\(words[index + 1])': \(error.message)")
            }
            guard seen.insert(name).inserted else {
                throw ConfigError("Error in user declaration '\(name)': \(ACLRuleError.duplicateUser.message)")
            }
            if ACLSelector.hasSpaces(Array(name.utf8)) { throw ConfigError("Spaces not allowed in ACL usernames") }
            let effective = name == "default" ? ["reset"] + rules : rules
            if case .failure(let failure) = users.setUser(name, effective) {
                throw ConfigError("Error loading ACL rule for the user named '\(name)': \(failure.message)")
            }
        }
        if !config.aclfile.isEmpty, let errors = loadACLFile() {
            throw ConfigError("Aborting Redis startup because of ACL errors: \(errors)")
        }
    }

    /// acllog-max-len and acl-pubsub-default, at start and on CONFIG SET.
    func applyACLSettings() {
        ctx.users.log.maxLength = config.acllogMaxLen
        ctx.users.log.trim()
        ctx.users.pubsubDefaultAll = config.aclPubsubDefaultAll
    }

    /// Replaces the users with the aclfile's; nil, or the errors (nothing changed then).
    /// Clients of the users it replaced are closed, as Redis frees them.
    func loadACLFile() -> String? {
        let path = config.aclfile
        let text: String
        do { text = try readWholeFile(path) } catch {
            return "Error loading ACLs, opening file '\(path)': \(error)"
        }
        let (errors, removed) = ctx.users.load(text: text, file: path)
        if let errors { return errors }
        closeClients(of: removed)
        return nil
    }

    /// Writes every user to the aclfile (beside it, then renamed over it).
    func saveACLFile() -> Bool {
        do {
            try ConfigRewrite.replaceFile(config.aclfile, with: ctx.users.fileText(), fs: persistence.fs)
            return true
        } catch {
            logger.warning("Writing ACL file for ACL SAVE: \(error)")
            return false
        }
    }

    /// Closes the connections logged in as any of `users` (deleted or replaced), after
    /// the reply at hand for the calling client.
    func closeClients(of users: [ACLUser]) {
        for c in clients.values {
            guard let u = c.session.user, users.contains(where: { $0 === u }) else { continue }
            c.session.user = ctx.users.defaultUser
            c.session.authenticated = false
            ClientCommand.close(c, ctx)
        }
    }

    /// After ACL SETUSER narrowed a user's channels: closes its subscribers whose
    /// subscriptions it no longer allows (Redis's ACLKillPubsubClientsIfNeeded).
    func closeSubscribersNoLongerAllowed(_ user: ACLUser) {
        for c in clients.values where c.session.user === user && c.session.subscriptions.isActive {
            let subs = c.session.subscriptions
            let allowed = subs.patterns.allSatisfy { user.allowsChannel($0, isPattern: true) }
                && subs.channels.allSatisfy { user.allowsChannel($0, isPattern: false) }
                && subs.shardChannels.allSatisfy { user.allowsChannel($0, isPattern: false) }
            if !allowed { ClientCommand.close(c, ctx) }
        }
    }
}

extension ACLUsers.SetUserFailure {
    var message: String {
        switch self {
        case .unclosedSelector(let rule): return "Unmatched parenthesis in acl selector starting at '\(rule.string)'."
        case .rule(let rule, let error): return "Error in ACL SETUSER modifier '\(rule.string)': \(error.message)"
        }
    }
}
