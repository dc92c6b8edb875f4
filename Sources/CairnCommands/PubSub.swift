import CairnCore
import CairnRESP
import NIOCore

/// Where a message for another client goes. The server implements it: the message joins
/// that client's output in order with its replies and leaves through the durability gate
/// after the unit that produced it was committed, so a subscriber never learns of a write
/// that is not yet durable.
public protocol PushDelivery: AnyObject {
    func push(_ message: ByteBuffer, to session: ClientSession)
    /// One message to each of `sessions`: `resp2` to those speaking RESP2, `resp3` to the
    /// others (one call per message, not per subscriber).
    func push(resp2: ByteBuffer, resp3: ByteBuffer, to sessions: [ClientSession])
}

/// What one session is subscribed to. Shard channels (SSUBSCRIBE) are counted apart, as
/// in Redis: SUBSCRIBE's replies count channels and patterns, SSUBSCRIBE's shard channels.
public struct Subscriptions {
    public var channels: Set<Bytes> = []
    public var patterns: Set<Bytes> = []
    public var shardChannels: Set<Bytes> = []

    /// Whether the session is in subscribed mode (Redis's CLIENT_PUBSUB).
    public var isActive: Bool { !channels.isEmpty || !patterns.isEmpty || !shardChannels.isEmpty }
    public var channelsAndPatterns: Int { channels.count + patterns.count }
}

/// The server's channels, patterns and shard channels, each with its subscribers in the
/// order they subscribed (Redis delivers in that order).
public final class PubSubRegistry {
    public enum Kind { case channel, pattern, shard }

    public private(set) var channels: [Bytes: [ClientSession]] = [:]
    public private(set) var patterns: [Bytes: [ClientSession]] = [:]
    public private(set) var shardChannels: [Bytes: [ClientSession]] = [:]
    public init() {}

    /// Whether anybody subscribes to anything: keyspace notifications stop here when not.
    public var isEmpty: Bool { channels.isEmpty && patterns.isEmpty && shardChannels.isEmpty }

    /// Adds `session` to `name`; false when it was already there.
    @discardableResult
    public func subscribe(_ session: ClientSession, to name: Bytes, _ kind: Kind) -> Bool {
        let inserted: Bool
        switch kind {
        case .channel: inserted = session.subscriptions.channels.insert(name).inserted
        case .pattern: inserted = session.subscriptions.patterns.insert(name).inserted
        case .shard: inserted = session.subscriptions.shardChannels.insert(name).inserted
        }
        if inserted { modify(kind) { $0[name, default: []].append(session) } }
        return inserted
    }

    /// Removes `session` from `name`; false when it was not there.
    @discardableResult
    public func unsubscribe(_ session: ClientSession, from name: Bytes, _ kind: Kind) -> Bool {
        let removed: Bool
        switch kind {
        case .channel: removed = session.subscriptions.channels.remove(name) != nil
        case .pattern: removed = session.subscriptions.patterns.remove(name) != nil
        case .shard: removed = session.subscriptions.shardChannels.remove(name) != nil
        }
        guard removed else { return false }
        modify(kind) { table in
            guard var list = table[name] else { return }
            list.removeAll { $0 === session }
            table[name] = list.isEmpty ? nil : list
        }
        return true
    }

    /// Drops every subscription of `session` (RESET, disconnection), without replies.
    public func unsubscribeAll(_ session: ClientSession) {
        for c in session.subscriptions.channels { unsubscribe(session, from: c, .channel) }
        for p in session.subscriptions.patterns { unsubscribe(session, from: p, .pattern) }
        for s in session.subscriptions.shardChannels { unsubscribe(session, from: s, .shard) }
    }

    private func modify(_ kind: Kind, _ body: (inout [Bytes: [ClientSession]]) -> Void) {
        switch kind {
        case .channel: body(&channels)
        case .pattern: body(&patterns)
        case .shard: body(&shardChannels)
        }
    }

    /// Sends `message` on `channel` to its subscribers and to those of every matching
    /// pattern (not for shard channels); returns how many received it, as PUBLISH answers.
    public func publish(_ channel: Bytes, _ message: Bytes, shard: Bool = false, through delivery: PushDelivery?) -> Int {
        var receivers = 0
        if let subscribers = shard ? shardChannels[channel] : channels[channel] {
            let kind = shard ? PubSubRegistry.smessage : PubSubRegistry.message
            deliver(kind, nil, channel, message, to: subscribers, through: delivery)
            receivers += subscribers.count
        }
        if shard || patterns.isEmpty { return receivers }
        for (pattern, subscribers) in patterns where globMatch(pattern: pattern, string: channel) {
            deliver(PubSubRegistry.pmessage, pattern, channel, message, to: subscribers, through: delivery)
            receivers += subscribers.count
        }
        return receivers
    }

    private static let message: Bytes = "message"
    private static let pmessage: Bytes = "pmessage"
    private static let smessage: Bytes = "smessage"

    /// One message to each of `subscribers`, encoded once per protocol version in use.
    /// Encoded into buffers kept from one message to the next (no allocation per
    /// PUBLISH); `push` copies them into each subscriber's output.
    private func deliver(_ kind: Bytes, _ pattern: Bytes?, _ channel: Bytes, _ message: Bytes,
                         to subscribers: [ClientSession], through delivery: PushDelivery?) {
        guard let delivery else { return }
        var uses2 = false, uses3 = false
        subscribers.withUnsafeBufferPointer { sessions in
            for s in sessions {
                if s.protocolVersion >= 3 { uses3 = true } else { uses2 = true }
            }
        }
        if uses2 { PubSubRegistry.encode(&resp2, kind, pattern, channel, message) }
        if uses3 { PubSubRegistry.encode(&resp3, kind, pattern, channel, message) }
        delivery.push(resp2: resp2.buffer, resp3: resp3.buffer, to: subscribers)
    }

    private var resp2 = RESPWriter(buffer: ByteBufferAllocator().buffer(capacity: 256), protocolVersion: 2)
    private var resp3 = RESPWriter(buffer: ByteBufferAllocator().buffer(capacity: 256), protocolVersion: 3)

    private static func encode(_ w: inout RESPWriter, _ kind: Bytes, _ pattern: Bytes?, _ channel: Bytes, _ message: Bytes) {
        w.buffer.clear()
        w.pushHeader(pattern == nil ? 3 : 4)
        w.bulk(kind)
        if let pattern { w.bulk(pattern) }
        w.bulk(channel)
        w.bulk(message)
    }

    /// The channels (or shard channels) with subscribers, those matching `pattern` if given.
    public func activeChannels(matching pattern: Bytes?, shard: Bool) -> [Bytes] {
        let table = shard ? shardChannels : channels
        guard let pattern else { return Array(table.keys) }
        return table.keys.filter { globMatch(pattern: pattern, string: $0) }
    }

    public func subscriberCount(_ channel: Bytes, shard: Bool) -> Int {
        (shard ? shardChannels[channel] : channels[channel])?.count ?? 0
    }
}
