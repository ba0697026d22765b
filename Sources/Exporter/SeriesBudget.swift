import OTLP
import ScopeCore

/// What an OTLP receiver admits of new series: a budget in bytes of label data. Without
/// credentials anyone who reaches the port can send 1,000 new series of 8 labels of 4 KB per
/// request; every series the receiver keeps (its caches, the store or the /metrics table behind
/// it) holds those bytes. A request whose new series would take the receiver past the budget is
/// refused whole (429 + Retry-After, retryable under OTLP); series not seen for `expiryMs` give
/// their bytes back. A value type with explicit times.
public struct SeriesBudget: Sendable {
    public let maxBytes: Int
    public let expiryMs: Int64
    public private(set) var usedBytes = 0
    /// Per series (its name and labels, hashed): its bytes and when it was last received.
    private var known: [Int: (bytes: Int, lastSeenMs: Int64)] = [:]
    private var lastSweepMs: Int64?

    public init(maxBytes: Int, expiryMs: Int64 = 10 * 60_000) {
        self.maxBytes = maxBytes
        self.expiryMs = expiryMs
    }

    public var seriesCount: Int { known.count }

    /// The bytes a series holds in a receiver and its sink: its name and label text plus a fixed
    /// overhead per label and per series.
    static func cost(_ name: String, _ labels: Labels) -> Int {
        labels.pairs.reduce(name.utf8.count + 128) { $0 + $1.name.utf8.count + $1.value.utf8.count + 32 }
    }

    /// Admits the series of `conversion` at `nowMs` when the new ones fit, refreshing the known
    /// ones; otherwise changes nothing. Returns whether it fit and the new series' bytes.
    public mutating func admit(_ conversion: OTLPConversion, atMs nowMs: Int64) -> (admitted: Bool, newBytes: Int) {
        if nowMs - (lastSweepMs ?? nowMs) >= 60_000 { sweep(atMs: nowMs) }
        if lastSweepMs == nil { lastSweepMs = nowMs }
        var fresh: [Int: Int] = [:]
        var seen: [Int] = []
        var newBytes = 0
        for family in conversion.families {
            for point in family.points {
                var hasher = Hasher()
                hasher.combine(point.name)
                hasher.combine(point.labels)
                let key = hasher.finalize()
                if known[key] != nil {
                    seen.append(key)
                } else if fresh[key] == nil {
                    let bytes = Self.cost(point.name, point.labels)
                    fresh[key] = bytes
                    newBytes += bytes
                }
            }
        }
        guard usedBytes + newBytes <= maxBytes else { return (false, newBytes) }
        for key in seen { known[key]?.lastSeenMs = nowMs }
        for (key, bytes) in fresh { known[key] = (bytes, nowMs) }
        usedBytes += newBytes
        return (true, newBytes)
    }

    /// Series not received for `expiryMs` are forgotten and their bytes become free.
    public mutating func sweep(atMs nowMs: Int64) {
        lastSweepMs = nowMs
        let horizon = nowMs - expiryMs
        for (key, entry) in known where entry.lastSeenMs < horizon {
            known[key] = nil
            usedBytes -= entry.bytes
        }
    }
}
