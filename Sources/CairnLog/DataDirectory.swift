/// Housekeeping of a data directory at start-up.
public enum DataDirectory {
    /// Subdirectory of the snapshots (named here so the log module can tidy it).
    public static let snapshotsDirectory = "snapshots"

    /// Deletes what a crash in the middle of a rotation or a checkpoint can leave behind
    /// and the manifest does not name: segments, snapshots, temporary files. Returns the
    /// paths deleted. The manifest is the truth: whatever it does not list is not data.
    @discardableResult
    public static func removeOrphans(directory: String, manifest: Manifest, fs: FileSystem) -> [String] {
        var removed: [String] = []
        let logDirectory = directory + "/log"
        let live = Set(manifest.segments)
        for name in (try? fs.listDirectory(logDirectory)) ?? [] where !live.contains(name) && Segment.firstLSN(fileName: name) != nil {
            if (try? fs.remove(logDirectory + "/" + name)) != nil { removed.append(logDirectory + "/" + name) }
        }
        let snapshots = directory + "/" + snapshotsDirectory
        for name in (try? fs.listDirectory(snapshots)) ?? [] where name != manifest.snapshot
            && (name.hasSuffix(".snap") || name.hasSuffix(".snap.tmp")) {
            if (try? fs.remove(snapshots + "/" + name)) != nil { removed.append(snapshots + "/" + name) }
        }
        let temp = directory + "/" + Manifest.fileName + ".tmp"
        if fs.exists(temp), (try? fs.remove(temp)) != nil { removed.append(temp) }
        if !removed.isEmpty {
            try? fs.syncDirectory(logDirectory)
            if fs.exists(snapshots) { try? fs.syncDirectory(snapshots) }
            try? fs.syncDirectory(directory)
        }
        return removed
    }
}
