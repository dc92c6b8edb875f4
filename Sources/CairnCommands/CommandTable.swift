import CairnCore

/// Every command the server knows, looked up by lowercase name.
public final class CommandTable: @unchecked Sendable {
    public private(set) var commands: [Bytes: CommandSpec] = [:]

    public init() {}

    public func register(_ spec: CommandSpec) {
        commands[Bytes(spec.name)] = spec
        aclOrderCache = nil
        for s in [spec] + spec.subcommands.values.sorted(by: { $0.name < $1.name }) where s.aclID < 0 {
            precondition(nextACLID < ACLCommandBits.futureCommandsBit, "too many commands for the ACL bitmap")
            s.aclID = nextACLID
            nextACLID += 1
        }
        // Clients mostly send names in capitals: finding those directly saves a lowercasing.
        upper[Bytes(spec.name.uppercased())] = spec
        // A spec registered again under its name replaces (and frees) the one cached.
        recentNames = (.empty, .empty, .empty, .empty)
        recentSpecs = (nil, nil, nil, nil)
    }

    private var upper: [Bytes: CommandSpec] = [:]
    private var nextACLID = 0
    private var aclOrderCache: [CommandSpec]?

    /// Every command and subcommand, each container followed by its subcommands, by name:
    /// the order ACL rules are described in.
    public var aclOrder: [CommandSpec] {
        if let cached = aclOrderCache { return cached }
        let order = sorted.flatMap { [$0] + $0.subcommands.values.sorted { $0.name < $1.name } }
        aclOrderCache = order
        return order
    }

    /// Every spec, subcommands included.
    public var allSpecs: [CommandSpec] {
        commands.values.flatMap { [$0] + $0.subcommands.values }
    }

    public func register(_ specs: [CommandSpec]) {
        for s in specs { register(s) }
    }

    /// The last names looked up and their specs: pipelines mostly repeat one command, a
    /// script's calls alternate a few (EVALSHA, GET, SET), and comparing short inline byte
    /// strings is cheaper than hashing them.
    private var recentNames: (Bytes, Bytes, Bytes, Bytes) = (.empty, .empty, .empty, .empty)
    private var recentSpecs: (Unmanaged<CommandSpec>?, Unmanaged<CommandSpec>?, Unmanaged<CommandSpec>?, Unmanaged<CommandSpec>?)
    private var recentNext = 0

    public func lookup(_ name: Bytes) -> CommandSpec? {
        lookupUnretained(name)?.takeUnretainedValue()
    }

    /// `lookup` without a retain of the spec found (the request path's: an atomic
    /// increment and decrement per request). Safe because the table holds every spec, and
    /// its subcommands, for as long as it lives, and it lives as long as the server.
    public func lookupUnretained(_ name: Bytes) -> Unmanaged<CommandSpec>? {
        if name == recentNames.0, let spec = recentSpecs.0 { return spec }
        if name == recentNames.1, let spec = recentSpecs.1 { return spec }
        if name == recentNames.2, let spec = recentSpecs.2 { return spec }
        if name == recentNames.3, let spec = recentSpecs.3 { return spec }
        guard let found = upper[name] ?? commands[name.lowercased] else { return nil }
        let spec = Unmanaged.passUnretained(found)
        switch recentNext {
        case 0: (recentNames.0, recentSpecs.0) = (name, spec)
        case 1: (recentNames.1, recentSpecs.1) = (name, spec)
        case 2: (recentNames.2, recentSpecs.2) = (name, spec)
        default: (recentNames.3, recentSpecs.3) = (name, spec)
        }
        recentNext = (recentNext + 1) & 3
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
        table.register(StreamCommands.specs)
        table.register(SlowLogCommand.specs)
        table.register(LatencyCommand.specs)
        return table
    }
}
