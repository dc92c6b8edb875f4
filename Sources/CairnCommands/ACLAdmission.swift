import CairnCore

/// The ACL check at admission: a client's command, each command of its EXEC block (rules
/// may have changed since it was queued) and a script's redis.call are checked against
/// the session's user; a refusal is logged (ACL LOG) and answered with Redis's texts.
extension CommandContext {
    /// NOPERM with the reason, or nil when the session's user may make the call.
    public func aclRefusal(_ spec: CommandSpec, _ args: [Bytes], _ session: ClientSession) -> String? {
        guard let user = session.user, !user.unrestricted, let (denial, position) = user.refusal(spec, args) else {
            return nil
        }
        let context: ACLLog.Context = session.transaction != nil || insideCall ? .multi : .toplevel
        session.lastCommandSpec = spec  // CLIENT LIST's cmd= in the log names it, as in Redis
        logACLDenial(denial, context, spec: spec, args: args, position: position, session: session)
        if insideCall {
            // EXEC running a block queued before the rules changed.
            let reason: String
            switch denial {
            case .command: reason = "no permission to execute the command or subcommand"
            case .key: reason = "no permission to touch the specified keys"
            default: reason = "no permission to access one of the channels used as arguments"
            }
            return "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: " + reason
        }
        switch denial {
        case .command: return "NOPERM this user has no permissions to run the '\(spec.fullName)' command"
        case .key: return "NOPERM this user has no permissions to access one of the keys used as arguments"
        default: return "NOPERM this user has no permissions to access one of the channels used as arguments"
        }
    }

    /// Adds a refusal to the ACL log: the command's name, or the key or channel at fault.
    func logACLDenial(_ denial: ACLDenial, _ context: ACLLog.Context, spec: CommandSpec, args: [Bytes],
                      position: Int, session: ClientSession) {
        let object = denial == .command ? Bytes(spec.fullName) : args[position]
        users.log.add(denial, context, object: object, username: session.user?.name ?? "default",
                      clientInfo: aclClientInfo?(session) ?? "", nowMs: Clock.unixMilliseconds())
    }

    /// Whether the session's user may read any key in the call at hand (SORT's BY and GET
    /// patterns name keys that admission cannot see).
    public var userReadsAnyKey: Bool {
        guard let user = session.user, !user.unrestricted, let spec = frame.spec else { return true }
        return user.hasUnrestrictedKeyAccess(spec, args, .read)
    }

    /// A failed AUTH or HELLO AUTH: logged under the name tried, with the command as typed.
    public func logFailedAuth(_ command: Bytes, username: Bytes, session: ClientSession) {
        users.log.add(.auth, session.transaction != nil ? .multi : .toplevel, object: command, username: username.string,
                      clientInfo: aclClientInfo?(session) ?? "", nowMs: Clock.unixMilliseconds())
    }
}

extension ACLDenial {
    /// What a script's redis.call reports after "The user executing the script ".
    var scriptMessage: String {
        switch self {
        case .command: return "can't run this command or subcommand"
        case .key: return "can't access at least one of the keys mentioned in the command arguments"
        case .channel: return "can't publish to the channel mentioned in the command"
        case .auth: return "lacking the permissions for the command"
        }
    }
}
