import CairnCore

/// An entry delivered to a consumer and not yet acknowledged (Redis's NACK). The group's
/// pending list and its consumer's hold the same object.
public final class StreamPendingEntry {
    /// Unix ms of the last delivery.
    public var deliveryTime: Int64
    public var deliveryCount: Int64
    /// The consumer holding it; a consumer's deletion removes its entries first.
    public unowned var consumer: StreamConsumer

    public init(deliveryTime: Int64, deliveryCount: Int64, consumer: StreamConsumer) {
        self.deliveryTime = deliveryTime
        self.deliveryCount = deliveryCount
        self.consumer = consumer
    }
}

/// A consumer of a group: its name, when it was last seen, and its pending entries.
public final class StreamConsumer {
    public let name: Bytes
    /// Unix ms of its last read or claim.
    public var seenTime: Int64
    public var pending = StreamIDMap<StreamPendingEntry>()

    public init(name: Bytes, seenTime: Int64) {
        self.name = name
        self.seenTime = seenTime
    }
}

/// A consumer group: the last ID delivered, how many entries it has read (7.0's
/// entries-read, -1 when unknown), its pending entries and its consumers.
public final class StreamGroup {
    public let name: Bytes
    public var lastID: StreamID
    public var entriesRead: Int64
    public var pending = StreamIDMap<StreamPendingEntry>()
    public private(set) var consumers: [Bytes: StreamConsumer] = [:]

    /// Redis's SCG_INVALID_ENTRIES_READ.
    public static let unknownEntriesRead: Int64 = -1

    public init(name: Bytes, lastID: StreamID, entriesRead: Int64) {
        self.name = name
        self.lastID = lastID
        self.entriesRead = entriesRead
    }

    /// Consumers by name, in Redis's order (its radix tree's: bytewise).
    public var sortedConsumers: [StreamConsumer] {
        consumers.values.sorted { compareBytes($0.name, $1.name) < 0 }
    }

    /// The consumer named `name`, created when absent (`created` true then).
    public func consumer(_ name: Bytes, now: Int64) -> (StreamConsumer, created: Bool) {
        if let c = consumers[name] { return (c, false) }
        let c = StreamConsumer(name: name, seenTime: now)
        consumers[name] = c
        return (c, true)
    }

    /// Adds a consumer known not to exist.
    public func add(_ consumer: StreamConsumer) { consumers[consumer.name] = consumer }

    /// Deletes a consumer and its pending entries; returns how many it had.
    public func deleteConsumer(_ name: Bytes) -> Int? {
        guard let c = consumers.removeValue(forKey: name) else { return nil }
        c.pending.forEach { id, _ in
            pending.remove(id)
            return true
        }
        return c.pending.count
    }

    /// Removes a pending entry from the group and its consumer.
    public func acknowledge(_ id: StreamID) -> Bool {
        guard let entry = pending.remove(id) else { return false }
        entry.consumer.pending.remove(id)
        return true
    }

    /// A copy sharing nothing (COPY of the stream).
    func copy() -> StreamGroup {
        let g = StreamGroup(name: name, lastID: lastID, entriesRead: entriesRead)
        for (name, c) in consumers {
            let d = StreamConsumer(name: name, seenTime: c.seenTime)
            c.pending.forEach { id, e in
                let copied = StreamPendingEntry(deliveryTime: e.deliveryTime, deliveryCount: e.deliveryCount, consumer: d)
                d.pending.insert(id, copied)
                g.pending.insert(id, copied)
                return true
            }
            g.consumers[name] = d
        }
        return g
    }
}
