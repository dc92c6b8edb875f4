import CairnCore

/// When the event loop writes and syncs a group of records itself, as Redis does under
/// appendfsync always, instead of handing it to the log writer's thread.
///
/// The hand-over costs one client two thread wake-ups per write: the writer's, and the
/// loop's when the sync is done. On a virtual machine whose idle cores halt, each is a
/// wake-up of a sleeping vCPU, together about 60 µs of a round trip that takes 47 µs
/// without durability (Docs/BENCHMARKS.md, "One client's durable write on the loop").
/// With many writers the writer thread is worth more: it syncs one group while the loop
/// reads and runs the next. So the loop syncs only for a writer that is alone: at most
/// 32 records staged (one request, or one pipeline of a few), one client waiting for
/// them, no other client held at the gate lately, and the writer thread idle. A sync
/// that stalls blocks the loop (as it blocks Redis); after one slow sync the loop leaves
/// syncing to the thread for a while, so a failing disk does not hold every client of
/// the server again and again.
struct InlineSync {
    /// The last client whose reply was held at the gate, and until when another client
    /// held there counts as recent (monotonic µs).
    private var lastHeld: ObjectIdentifier?
    private var othersRecentUntilUs: Int64 = 0
    /// Until when the loop does not sync itself, after a slow sync (monotonic ns).
    private var offUntilNs: UInt64 = 0
    /// Groups the loop synced itself (INFO persistence `log_fsyncs_on_loop`).
    private(set) var syncs = 0

    /// At most this many records (one client's pipeline): a client streaming more, as a
    /// bulk load does, gains from the thread syncing while the loop runs the next part.
    static let recordsMax: UInt64 = 32
    /// How long another writer keeps the loop from syncing.
    static let othersRecentUs: Int64 = 20_000
    /// A sync on the loop slower than this...
    static let slowSyncNs: UInt64 = 50_000_000
    /// ...leaves syncing to the thread for this long.
    static let offAfterSlowSyncNs: UInt64 = 5_000_000_000

    /// A client's reply was held at the gate.
    mutating func held(_ client: ObjectIdentifier, nowUs: Int64) {
        guard client != lastHeld else { return }
        if lastHeld != nil { othersRecentUntilUs = nowUs + Self.othersRecentUs }
        lastHeld = client
    }

    /// Whether the loop syncs the staged records itself.
    func applies(stagedRecords: UInt64, heldClients: Int, nowUs: Int64) -> Bool {
        stagedRecords <= Self.recordsMax && heldClients == 1 && nowUs >= othersRecentUntilUs
            && (offUntilNs == 0 || Clock.monotonicNanoseconds() >= offUntilNs)
    }

    /// A sync on the loop took `ns`.
    mutating func synced(tookNs ns: UInt64, endedNs: UInt64) {
        syncs += 1
        offUntilNs = ns > Self.slowSyncNs ? endedNs + Self.offAfterSlowSyncNs : 0
    }
}
