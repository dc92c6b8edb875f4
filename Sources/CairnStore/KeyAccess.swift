/// What a key's 32-bit `aux` word holds about its use, as Redis keeps it in an object's
/// 24-bit `lru` field: under an LRU (or no) policy, the Unix second of the last access
/// modulo 2^24 (Redis's LRU clock, which wraps every 194 days);
/// under an LFU policy, the minute of the last decrement in the high 16 bits and a
/// logarithmic access counter in the low 8 (Redis's `ldt` and `counter`).
public enum KeyAccess {
    /// The counter a new key starts with under LFU (Redis's LFU_INIT_VAL), so that it is
    /// not evicted before it has had a chance to be read.
    public static let lfuInitialCounter: UInt32 = 5

    /// The stamp of a key made or read at `nowMs` under an LRU policy.
    @inlinable
    public static func lruStamp(nowMs: Int64) -> UInt32 { UInt32(truncatingIfNeeded: nowMs / 1000) & lruClockMax }

    public static let lruClockMax: UInt32 = 0xFF_FFFF

    /// Milliseconds since the access `stamp` records (an LRU stamp), at second resolution,
    /// across the clock's wrap (Redis's estimateObjectIdleTime).
    @inlinable
    public static func idleMilliseconds(_ stamp: UInt32, nowMs: Int64) -> Int64 {
        let now = Int64(lruStamp(nowMs: nowMs)), then = Int64(stamp & lruClockMax)
        return (now >= then ? now - then : now + Int64(lruClockMax) - then) * 1000
    }

    /// Redis's minutes clock for LFU decay: Unix minutes, modulo 2^16.
    @inlinable
    static func minutes(_ nowMs: Int64) -> UInt32 { UInt32(truncatingIfNeeded: nowMs / 60_000) & 0xFFFF }

    /// The stamp of a new key under LFU.
    @inlinable
    public static func lfuNewStamp(nowMs: Int64) -> UInt32 { minutes(nowMs) << 8 | lfuInitialCounter }

    /// An LFU stamp's counter after the decay since its minute: one less per `decayMinutes`
    /// elapsed (0: no decay). Redis's LFUDecrAndReturn; OBJECT FREQ answers this.
    @inlinable
    public static func lfuCounter(_ stamp: UInt32, nowMs: Int64, decayMinutes: Int) -> UInt32 {
        let counter = stamp & 0xFF
        guard decayMinutes > 0 else { return counter }
        let then = stamp >> 8 & 0xFFFF, now = minutes(nowMs)
        let elapsed = now >= then ? now - then : 0xFFFF - then + now
        let periods = elapsed / UInt32(decayMinutes)
        return periods > counter ? 0 : counter - periods
    }

    /// The stamp after one more access: the counter decayed, then incremented with a
    /// probability that falls as it grows (1 / ((counter - 5) × logFactor + 1)), so that
    /// 255 takes about a million accesses at the default factor of 10. Redis's updateLFU.
    @inlinable
    public static func lfuTouched(_ stamp: UInt32, nowMs: Int64, logFactor: Int, decayMinutes: Int) -> UInt32 {
        var counter = lfuCounter(stamp, nowMs: nowMs, decayMinutes: decayMinutes)
        if counter < 255 {
            let base = Double(counter > lfuInitialCounter ? counter - lfuInitialCounter : 0)
            if nextUnitRandom() < 1 / (base * Double(logFactor) + 1) { counter += 1 }
        }
        return minutes(nowMs) << 8 | counter
    }

    /// A fast generator for the increment's coin (xorshift64*): Swift's system generator
    /// asks the kernel, too slow for every read of a key. Used on the engine's thread only.
    nonisolated(unsafe) public static var randomState: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// A number in [0, 1).
    @inlinable
    public static func nextUnitRandom() -> Double {
        Double(nextRandom() >> 11) * 0x1.0p-53
    }

    @inlinable
    public static func nextRandom() -> UInt64 {
        var x = randomState
        x ^= x >> 12
        x ^= x << 25
        x ^= x >> 27
        randomState = x
        return x &* 0x2545_F491_4F6C_DD1D
    }
}
