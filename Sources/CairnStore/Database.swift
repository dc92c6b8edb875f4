import CairnCore

/// One of the numbered databases: the keys with their values, and the expiry times
/// (absolute Unix milliseconds) of the keys that have one.
public final class Database {
    // Constants, so that a call on them from a database in hand needs no retain of the
    // table (SWAPDB swaps their contents).
    public let main: KeyTable<Value>
    public let expires: KeyTable<Int64>

    /// Its number (SELECT), and where changes to watched keys are recorded.
    public let index: Int
    public let touches: KeyTouches
    /// Set under an LFU policy: a value overwritten keeps its key's access counter (the
    /// write's lookup already counted it), as Redis's dbSetValue keeps `lru` then.
    public var keepsAccessOnOverwrite = false

    public init(seed: UInt64, index: Int = 0, touches: KeyTouches = KeyTouches()) {
        self.main = KeyTable(seed: seed)
        self.expires = KeyTable(seed: seed ^ 0x9E37_79B9_7F4A_7C15)
        self.index = index
        self.touches = touches
    }

    public var count: Int { main.count }

    /// The expiry time of `key` in Unix milliseconds, if it has one.
    @inlinable
    public func expireTime(_ key: Bytes) -> Int64? {
        if expires.isEmpty { return nil }
        return expires[key]
    }

    public func isExpired(_ key: Bytes, nowMs: Int64) -> Bool {
        guard let t = expireTime(key) else { return false }
        return t <= nowMs
    }

    /// Position of a live key's entry; nil when absent. Does not expire anything.
    @inlinable
    public func position(_ key: Bytes) -> Int? { main.find(key) }

    public func setExpire(_ key: Bytes, atMs: Int64) {
        expires.set(key, atMs)
    }

    @discardableResult
    public func removeExpire(_ key: Bytes) -> Bool {
        if expires.isEmpty { return false }
        return expires.remove(key) != nil
    }

    /// Adds or replaces a key's value. The expiry is dropped unless `keepTTL`.
    public func set(_ key: Bytes, _ value: Value, keepTTL: Bool = false, clock: UInt32) {
        touches.touch(index, key)
        if touches.recordsNewKeys && main.find(key) == nil { touches.added(index, key) }
        if keepsAccessOnOverwrite, let p = main.find(key) {
            main.setValue(value, at: p)
        } else {
            main.set(key, value, aux: clock)
        }
        if !keepTTL { removeExpire(key) }
    }

    /// Replaces the value of the entry at `position` (found by a lookup just before).
    @inlinable
    public func replace(at position: Int, _ value: Value, keepTTL: Bool = false, clock: UInt32) {
        if touches.isRecording { touches.touch(index, main.entries[position].key) }
        main.setValue(value, at: position)
        if !keepsAccessOnOverwrite { main.setAux(clock, at: position) }
        if !keepTTL && !expires.isEmpty { expires.remove(main.entries[position].key) }
    }

    /// Puts a rebuilt value (a set whose intset was replaced) in the entry at `position`
    /// (found by the lookup for writing that recorded the change, no key added or removed
    /// since), keeping its access time and expiry.
    @inlinable
    public func storeRebuilt(at position: Int, _ value: Value) {
        main.setValue(value, at: position)
    }

    /// Adds a key known to be absent.
    @inlinable
    public func add(_ key: Bytes, _ value: Value, clock: UInt32) {
        touches.touch(index, key)
        touches.added(index, key)
        main.insert(key, value, aux: clock)
    }

    /// Deletes a key and its expiry; true when it existed.
    @discardableResult
    public func delete(_ key: Bytes) -> Bool {
        guard main.remove(key) != nil else { return false }
        touches.touch(index, key)
        removeExpire(key)
        return true
    }

    public func removeAll() {
        touches.touchAll(index) { main.find($0) != nil }
        main.removeAll()
        expires.removeAll()
    }
}
