/// Redis's error texts, shared by every family.
public enum Reply {
    public static let wrongType = "WRONGTYPE Operation against a key holding the wrong kind of value"
    public static let syntax = "ERR syntax error"
    public static let notInteger = "ERR value is not an integer or out of range"
    public static let notFloat = "ERR value is not a valid float"
    public static let noSuchKey = "ERR no such key"
    public static let sameObject = "ERR source and destination objects are the same"
    public static let dbOutOfRange = "ERR DB index is out of range"
    public static let stringTooLong = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
    public static let overflow = "ERR increment or decrement would overflow"

    public static func invalidExpireTime(_ command: String) -> String {
        "ERR invalid expire time in '\(command)' command"
    }

    public static func wrongArity(_ fullName: String) -> String {
        "ERR wrong number of arguments for '\(fullName)' command"
    }

    public static func unknownSubcommand(_ sub: String, _ command: String) -> String {
        "ERR unknown subcommand '\(sub.prefix(128))'. Try \(command.uppercased()) HELP."
    }
}
