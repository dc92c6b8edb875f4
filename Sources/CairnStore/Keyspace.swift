import CairnCore

/// Every database of the server. Owned by the engine's single thread.
public final class Keyspace {
    public let databases: [Database]
    public let seed: UInt64
    /// WATCHed keys and the changes to them (shared by every database).
    public let touches: KeyTouches

    public init(databaseCount: Int, seed: UInt64 = UInt64.random(in: 0...UInt64.max)) {
        precondition(databaseCount >= 1)
        self.seed = seed
        let touches = KeyTouches()
        self.touches = touches
        self.databases = (0..<databaseCount).map { Database(seed: seed &+ UInt64($0), index: $0, touches: touches) }
    }

    /// `body` with database `index`, without the retain and release that `self[index]`
    /// makes of it (`databases` keeps every database for the keyspace's life): the
    /// lookups every command makes go through here.
    @inlinable
    public func withDatabase<R>(_ index: Int, _ body: (Database) throws -> R) rethrows -> R {
        try databases.withUnsafeBufferPointer { try Unmanaged.passUnretained($0[index])._withUnsafeGuaranteedRef(body) }
    }

    public var databaseCount: Int { databases.count }

    /// Under an LFU policy, overwritten values keep their keys' access counters.
    public var keepsAccessOnOverwrite = false {
        didSet { for db in databases { db.keepsAccessOnOverwrite = keepsAccessOnOverwrite } }
    }

    public subscript(index: Int) -> Database { databases[index] }

    /// SWAPDB: the contents move, the numbers stay.
    public func swap(_ a: Int, _ b: Int) {
        guard a != b else { return }
        let x = databases[a], y = databases[b]
        // A watched key is touched when either database held it (Redis's SWAPDB).
        touches.touchAll(a) { x.main.find($0) != nil || y.main.find($0) != nil }
        touches.touchAll(b) { x.main.find($0) != nil || y.main.find($0) != nil }
        x.main.swapContents(with: y.main)
        x.expires.swapContents(with: y.expires)
    }

    public func flushAll() {
        for db in databases { db.removeAll() }
    }

    public var totalKeys: Int { databases.reduce(0) { $0 + $1.count } }
}
