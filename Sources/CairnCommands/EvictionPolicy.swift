/// maxmemory-policy: which keys go when memory passes maxmemory.
public enum EvictionPolicy: String, Sendable, CaseIterable {
    // In Redis's order (its CONFIG SET error lists them so).
    case volatileLRU = "volatile-lru"
    case volatileLFU = "volatile-lfu"
    case volatileRandom = "volatile-random"
    case volatileTTL = "volatile-ttl"
    case allkeysLRU = "allkeys-lru"
    case allkeysLFU = "allkeys-lfu"
    case allkeysRandom = "allkeys-random"
    case noeviction

    /// Candidates are only keys with an expiry.
    public var volatileOnly: Bool {
        switch self {
        case .volatileLRU, .volatileLFU, .volatileRandom, .volatileTTL: return true
        default: return false
        }
    }

    /// Keys carry an access counter rather than an access time.
    public var tracksFrequency: Bool { self == .allkeysLFU || self == .volatileLFU }

    /// The victim is the best of sampled candidates (kept in the eviction pool), rather
    /// than any key.
    public var samples: Bool {
        switch self {
        case .noeviction, .allkeysRandom, .volatileRandom: return false
        default: return true
        }
    }
}

/// The directives eviction follows, in the command settings.
public struct EvictionSettings: Sendable {
    /// maxmemory in bytes; 0: no limit.
    public var maxmemory = 0
    public var policy = EvictionPolicy.noeviction
    /// maxmemory-samples: keys sampled per database for each pool refill.
    public var samples = 5
    /// maxmemory-eviction-tenacity (0-100): how long one eviction pass may run.
    public var tenacity = 10
    /// lfu-log-factor and lfu-decay-time (minutes).
    public var lfuLogFactor = 10
    public var lfuDecayMinutes = 1
    public init() {}

    /// Redis's evictionTimeLimitUs: 50 µs a step up to 10 (500 µs), then 15% more a step,
    /// about two minutes at 99; 100: no limit.
    public var passMicroseconds: Int64 {
        if tenacity <= 10 { return Int64(50 * tenacity) }
        if tenacity < 100 {
            var limit = 500.0
            for _ in 0..<(tenacity - 10) { limit *= 1.15 }
            return Int64(limit)
        }
        return .max
    }
}
