import CairnCommands

/// Redis 7's protected actions: DEBUG (enable-debug-command), MODULE LOAD/LOADEX/UNLOAD
/// (enable-module-command) and CONFIG SET of a protected directive (enable-protected-configs,
/// for `dir` and `dbfilename`). Each setting is "no" (the default), "yes", or "local":
/// allowed from a loopback or unix-socket connection only.
enum ProtectedActions {
    static func allowed(_ setting: String, session: ClientSession) -> Bool {
        switch setting {
        case "yes": return true
        case "local":
            guard let client = session.connection as? ClientConnection else { return false }
            return ProtectedMode.isLocal(client.channel)
        default: return false
        }
    }

    /// Redis's refusal of a protected command the settings do not allow, or nil.
    static func refusal(_ spec: CommandSpec, _ config: ServerConfig, _ session: ClientSession) -> String? {
        guard spec.flags.contains(.protected) else { return nil }
        let isModule = spec.fullName.hasPrefix("module|")
        let setting = isModule ? config.enableModuleCommand : config.enableDebugCommand
        if allowed(setting, session: session) { return nil }
        return "ERR \(isModule ? "MODULE" : "DEBUG") command not allowed. If the \(isModule ? "enable-module-command" : "enable-debug-command") option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."
    }
}
