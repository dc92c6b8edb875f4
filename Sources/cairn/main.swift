import ArgumentParser

/// The offline tool for Cairn data directories. Its verbs arrive with the features they
/// inspect: check-log with the write-ahead log, check-snapshot and dump with snapshots.
@main
struct Cairn: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cairn",
        abstract: "Inspect and repair Cairn data directories offline.",
        version: "0.1.0"
    )
}
