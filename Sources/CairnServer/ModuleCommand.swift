import CairnCommands

/// MODULE as Redis 7.0 has it, for a server that loads no modules: LIST answers an empty
/// list, LOAD and LOADEX fail as a library that cannot be loaded fails (the reason goes to
/// the log), UNLOAD finds no module. LOAD, LOADEX and UNLOAD are protected: refused unless
/// `enable-module-command` allows them (ProtectedActions).
enum ModuleCommand {
    static func spec(_ engine: Engine) -> CommandSpec {
        let module = CommandSpec("module", arity: -2, flags: [], acl: [], group: "server", since: "4.0.0",
                                 summary: "A container for module commands")
        let admin: CommandFlags = [.admin, .noscript]
        let loading: CommandFlags = [.admin, .noscript, .noAsyncLoading, .protected]
        module.addSubcommand(CommandSpec("list", arity: 2, flags: admin, acl: [], group: "server", since: "4.0.0",
                                         summary: "List all modules loaded by the server") { ctx in
            ctx.out.arrayHeader(0)
        })
        for (name, since) in [("load", "4.0.0"), ("loadex", "7.0.0")] {
            module.addSubcommand(CommandSpec(name, arity: -3, flags: loading, acl: [], group: "server", since: since,
                                             summary: "Load a module") { ctx in
                engine.logger.warning("Module \(ctx.args[2].string) failed to load: Cairn does not load modules")
                ctx.out.error("ERR Error loading the extension. Please check the server logs.")
            })
        }
        module.addSubcommand(CommandSpec("unload", arity: 3, flags: loading, acl: [], group: "server", since: "4.0.0",
                                         summary: "Unload a module") { ctx in
            ctx.out.error("ERR Error unloading module: no such module with that name")
        })
        module.addHelp(acl: [], since: "5.0.0", [
            "LIST",
            "    Return a list of loaded modules.",
            "LOAD <path> [<arg> ...]",
            "    Load a module library from <path>, passing to it any optional arguments.",
            "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
            "    Load a module library from <path>, while passing it module configurations and optional arguments.",
            "UNLOAD <name>",
            "    Unload a module.",
        ])
        return module
    }
}
