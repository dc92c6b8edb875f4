import CairnCore

/// Every command the server knows, looked up by lowercase name.
public final class CommandTable: @unchecked Sendable {
    public private(set) var commands: [Bytes: CommandSpec] = [:]

    public init() {}

    public func register(_ spec: CommandSpec) {
        commands[Bytes(spec.name)] = spec
        // Clients mostly send names in capitals: finding those directly saves a lowercasing.
        upper[Bytes(spec.name.uppercased())] = spec
    }

    private var upper: [Bytes: CommandSpec] = [:]

    /// Every spec, subcommands included.
    public var allSpecs: [CommandSpec] {
        commands.values.flatMap { [$0] + $0.subcommands.values }
    }

    public func register(_ specs: [CommandSpec]) {
        for s in specs { register(s) }
    }

    /// The last name looked up and its spec: pipelines mostly repeat one command, and a
    /// comparison of two inline byte strings is cheaper than hashing.
    private var lastName: Bytes = .empty
    private var lastSpec: CommandSpec?

    public func lookup(_ name: Bytes) -> CommandSpec? {
        if let lastSpec, name == lastName { return lastSpec }
        let spec = upper[name] ?? commands[name.lowercased]
        if let spec {
            lastName = name
            lastSpec = spec
        }
        return spec
    }

    /// Every command sorted by name, for COMMAND and COMMAND DOCS.
    public var sorted: [CommandSpec] { commands.values.sorted { $0.name < $1.name } }

    /// The table of data commands (strings, keys, databases, collections, transactions);
    /// the server adds its own.
    public static func dataCommands() -> CommandTable {
        let table = CommandTable()
        table.register(StringCommands.specs)
        table.register(KeyCommands.specs)
        table.register(DatabaseCommands.specs)
        table.register(HashCommands.specs)
        table.register(SetCommands.specs)
        table.register(ListCommands.specs)
        table.register(SortCommand.specs)
        table.register(SortedSetCommands.specs)
        table.register(TransactionCommands.specs)
        table.register(PubSubCommands.specs)
        table.register(BitmapCommands.specs)
        table.register(BitfieldCommand.specs)
        table.register(GeoCommands.specs)
        table.register(HyperLogLogCommands.specs)
        table.register(DumpRestoreCommands.specs)
        table.register(ScriptCommands.specs)
        table.register(FunctionCommands.specs)
        table.register(GeoSearch.specs)
        return table
    }
}
