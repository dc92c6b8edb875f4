/// Bounds on what one client may send, with Redis's defaults and names.
public struct RESPLimits: Sendable {
    /// proto-max-bulk-len: the longest bulk string accepted.
    public var bulkBytesMax: Int = 512 * 1024 * 1024
    /// The most arguments one multibulk request may announce (Redis: INT_MAX).
    public var multibulkCountMax: Int = Int(Int32.max)
    /// The longest inline request line, and the longest `*`/`$` header line (PROTO_INLINE_MAX_SIZE).
    public var inlineBytesMax: Int = 64 * 1024
    /// client-query-buffer-limit: unparsed input held for one client before it is closed.
    public var queryBufferBytesMax: Int = 1024 * 1024 * 1024

    public init() {}
}

/// Malformed or oversized input. `message` is the text after `-ERR ` that Redis sends before
/// closing the connection; `nil` means close without a reply (query buffer overflow).
public struct RESPProtocolError: Error, Equatable, Sendable {
    public let message: String?

    public init(_ message: String?) { self.message = message }

    public static let queryBufferOverflow = RESPProtocolError(nil)
}
