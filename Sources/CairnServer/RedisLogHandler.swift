import Logging
#if canImport(Glibc)
import Glibc
#endif

/// swift-log output in Redis's line style: `pid:M 21 Nov 2026 09:15:03.123 * message`,
/// with `.` debug, `-` verbose (info), `*` notice, `#` warning.
public struct RedisLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let sink: LogSink
    /// syslog-enabled: each message also goes to syslog (opened by `SystemLog.open`).
    let toSyslog: Bool

    public init(level: Logger.Level, sink: LogSink, toSyslog: Bool = false) {
        self.logLevel = level
        self.sink = sink
        self.toSyslog = toSyslog
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?,
                    source: String, file: String, function: String, line: UInt) {
        let mark: String
        switch level {
        case .trace, .debug: mark = "."
        case .info: mark = "-"
        case .notice: mark = "*"
        default: mark = "#"
        }
        sink.write("\(getpid()):M \(RedisLogHandler.timestamp()) \(mark) \(message)\n")
        if toSyslog { SystemLog.send(level, message.description) }
    }

    static func timestamp() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var t = ts.tv_sec
        var tmv = tm()
        localtime_r(&t, &tmv)
        var buf = [CChar](repeating: 0, count: 64)
        let n = strftime(&buf, 64, "%d %b %Y %H:%M:%S", &tmv)
        let ms = Int(ts.tv_nsec / 1_000_000)
        let base = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return base + "." + (ms < 10 ? "00" : ms < 100 ? "0" : "") + String(ms)
    }

    /// Redis's loglevel names to swift-log levels.
    public static func level(_ redisLevel: String) -> Logger.Level {
        switch redisLevel {
        case "debug": return .debug
        case "verbose": return .info
        case "notice": return .notice
        case "nothing": return .critical
        default: return .warning
        }
    }
}

/// Where log lines go: standard output or an appended file. Writes are whole lines.
public final class LogSink: @unchecked Sendable {
    private let fd: Int32

    public init(path: String) {
        if path.isEmpty {
            fd = 1
        } else {
            let f = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            fd = f >= 0 ? f : 1
        }
    }

    func write(_ line: String) {
        var l = line
        l.withUTF8 { p in
            var off = 0
            while off < p.count {
                let n = Glibc.write(fd, p.baseAddress! + off, p.count - off)
                if n <= 0 { return }
                off += n
            }
        }
    }
}

/// syslog-enabled, syslog-ident, syslog-facility: Redis's messages also go to syslog, with
/// Redis's priorities (debug, info for verbose, notice, warning).
enum SystemLog {
    static let facilities: [String: Int32] = [
        "user": LOG_USER, "local0": LOG_LOCAL0, "local1": LOG_LOCAL1, "local2": LOG_LOCAL2, "local3": LOG_LOCAL3,
        "local4": LOG_LOCAL4, "local5": LOG_LOCAL5, "local6": LOG_LOCAL6, "local7": LOG_LOCAL7,
    ]

    static func open(ident: String, facility: String) {
        // openlog keeps the pointer: the copy lives as long as the process.
        openlog(strdup(ident), LOG_PID | LOG_NDELAY | LOG_NOWAIT, facilities[facility] ?? LOG_LOCAL0)
    }

    static func send(_ level: Logger.Level, _ message: String) {
        let priority: Int32
        switch level {
        case .trace, .debug: priority = LOG_DEBUG
        case .info: priority = LOG_INFO
        case .notice: priority = LOG_NOTICE
        default: priority = LOG_WARNING
        }
        message.withCString { text in withVaList([text]) { vsyslog(priority, "%s", $0) } }
    }
}
