import CCairnSystem

/// The data directory's table of contents: which snapshot (if any, in `snapshots/`) and
/// which log segments, in order, are live. Text, one item a line, closed by a CRC-32C of the
/// lines before it:
///
///     cairn-manifest 1
///     snapshot none
///     segment 00000000000000000001.log
///     crc32c 5f0e4a1b
///
/// It is replaced, never edited: write `MANIFEST.tmp`, fsync, rename over `MANIFEST`,
/// fsync the directory.
public struct Manifest: Equatable, Sendable {
    public var snapshot: String?
    public var segments: [String]

    public init(snapshot: String? = nil, segments: [String]) {
        self.snapshot = snapshot
        self.segments = segments
    }

    public static let fileName = "MANIFEST"

    /// The LSN the snapshot covers, read from its name (`<20-digit LSN>.snap`, in
    /// `<dir>/snapshots/`).
    public var snapshotLSN: UInt64? {
        guard let snapshot else { return nil }
        return UInt64(snapshot.prefix { $0.isNumber })
    }

    public func encoded() -> [UInt8] {
        var text = "cairn-manifest 1\nsnapshot \(snapshot ?? "none")\n"
        for s in segments { text += "segment \(s)\n" }
        let body = Array(text.utf8)
        let crc = body.withUnsafeBytes { cairn_crc32c(0, $0.baseAddress, $0.count) }
        return body + Array("crc32c \(hex(crc))\n".utf8)
    }

    public static func decode(_ bytes: [UInt8]) -> Result<Manifest, LogDamage> {
        guard let crcLineStart = bytes.dropLast().lastIndex(of: 10).map({ $0 + 1 }) else {
            return .failure(LogDamage(offset: 0, reason: "manifest has no checksum line"))
        }
        let body = Array(bytes[0..<crcLineStart])
        let crcLine = String(decoding: bytes[crcLineStart...], as: UTF8.self).trimmingCharacters()
        let expected = body.withUnsafeBytes { cairn_crc32c(0, $0.baseAddress, $0.count) }
        guard crcLine == "crc32c \(hex(expected))" else {
            return .failure(LogDamage(offset: crcLineStart, reason: "manifest checksum mismatch"))
        }
        let lines = String(decoding: body, as: UTF8.self).split(separator: "\n").map(String.init)
        guard lines.first == "cairn-manifest 1" else {
            return .failure(LogDamage(offset: 0, reason: "unknown manifest version"))
        }
        var manifest = Manifest(segments: [])
        for line in lines.dropFirst() {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return .failure(LogDamage(offset: 0, reason: "bad manifest line '\(line)'")) }
            switch parts[0] {
            case "snapshot": manifest.snapshot = parts[1] == "none" ? nil : parts[1]
            case "segment": manifest.segments.append(parts[1])
            default: return .failure(LogDamage(offset: 0, reason: "bad manifest line '\(line)'"))
            }
        }
        return .success(manifest)
    }

    /// Replaces the manifest in `directory` atomically and durably.
    public func write(to directory: String, fs: FileSystem) throws {
        let temp = directory + "/" + Manifest.fileName + ".tmp"
        try? fs.remove(temp)
        let fd = try fs.openForAppend(temp, create: true)
        defer { fs.close(fd) }
        let bytes = encoded()
        try bytes.withUnsafeBytes { try fs.write(fd, $0, path: temp) }
        try fs.sync(fd, path: temp)
        try fs.rename(temp, directory + "/" + Manifest.fileName)
        try fs.syncDirectory(directory)
    }
}

extension String {
    func trimmingCharacters() -> String {
        var s = Substring(self)
        while let l = s.last, l == "\n" || l == " " || l == "\r" { s = s.dropLast() }
        return String(s)
    }
}
