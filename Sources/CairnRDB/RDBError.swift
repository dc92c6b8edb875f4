/// Why bytes could not be read as RDB data.
public struct RDBError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
