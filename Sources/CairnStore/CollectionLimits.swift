/// The encoding thresholds that values are rebuilt with (the server's directives).
public struct CollectionLimits: Sendable {
    public var hashMaxPackedEntries = 512
    public var hashMaxPackedValueBytes = 64
    public var setMaxIntSetEntries = 512
    public var listFill = -2
    public var listCompressDepth = 0
    public var zsetMaxPackedEntries = 128
    public var zsetMaxPackedValueBytes = 64
    public var streamNodeMaxBytes = 4096
    public var streamNodeMaxEntries = 100

    public init() {}
}
