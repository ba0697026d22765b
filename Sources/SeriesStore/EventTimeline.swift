import ScopeCore

/// Events (rebalance, alert, marker) in time order, bounded in count (the oldest go first) and
/// trimmed by age. A value type; the store keeps one behind its own lock.
public struct EventTimeline: Sendable {
    public let maxEvents: Int
    /// Live events are `storage[start...]`, ascending by time (ties keep arrival order). Dropping
    /// the oldest only advances `start`; the dead prefix is compacted away once it is half the array.
    private var storage: [Event] = []
    private var start = 0
    public private(set) var dropped: UInt64 = 0

    public init(maxEvents: Int = 10_000) {
        precondition(maxEvents > 0, "an event timeline holds at least one event")
        self.maxEvents = maxEvents
    }

    public var count: Int { storage.count - start }

    /// Adds an event; a late one is inserted at its place in time. When full, the oldest event is dropped.
    public mutating func append(_ event: Event) {
        if let last = storage.last, start < storage.count, event.timeMs < last.timeMs {
            // After every event with time <= event.timeMs.
            storage.insert(event, at: firstIndex(after: event.timeMs))
        } else {
            storage.append(event)
        }
        if count > maxEvents {
            start += count - maxEvents
            dropped += 1
            compactIfNeeded()
        }
    }

    /// Events with `fromMs <= timeMs <= toMs` whose labels satisfy every matcher (an absent label
    /// has the value "") and, if given, whose kind is in `kinds`; ascending in time.
    public func query(fromMs: Int64, toMs: Int64, matching matchers: [LabelMatcher] = [], kinds: Set<EventKind>? = nil) -> [Event] {
        guard fromMs <= toMs else { return [] }
        var out: [Event] = []
        var i = firstIndex(atOrAfter: fromMs)
        while i < storage.count, storage[i].timeMs <= toMs {
            let event = storage[i]
            i += 1
            if let kinds, !kinds.contains(event.kind) { continue }
            if matchers.allSatisfy({ $0.matches(event.labels[$0.name] ?? "") }) { out.append(event) }
        }
        return out
    }

    /// Drops events older than `beforeMs`; returns how many.
    @discardableResult
    public mutating func truncate(beforeMs: Int64) -> Int {
        let cut = firstIndex(atOrAfter: beforeMs)
        let n = cut - start
        guard n > 0 else { return 0 }
        start = cut
        dropped += UInt64(n)
        compactIfNeeded()
        return n
    }

    private mutating func compactIfNeeded() {
        if start == storage.count {
            storage = []
            start = 0
        } else if start > 64 && start * 2 >= storage.count {
            storage = Array(storage[start...])
            start = 0
        }
    }

    /// First live index whose time is >= t.
    private func firstIndex(atOrAfter t: Int64) -> Int {
        var low = start
        var high = storage.count
        while low < high {
            let mid = (low + high) / 2
            if storage[mid].timeMs < t { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// First live index whose time is > t.
    private func firstIndex(after t: Int64) -> Int {
        var low = start
        var high = storage.count
        while low < high {
            let mid = (low + high) / 2
            if storage[mid].timeMs <= t { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
