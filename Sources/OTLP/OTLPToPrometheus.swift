#if canImport(Glibc)
import Glibc
#endif
import ScopeCore

/// What one OTLP request became: Prometheus metric families (points carry their timestamps),
/// and how many OTLP data points were accepted or rejected, with why.
public struct OTLPConversion: Sendable {
    public var families: [MetricFamily] = []
    /// OTLP data points turned into samples (a histogram point is one, however many buckets).
    public var acceptedPoints = 0
    /// OTLP data points that could not be mapped; each is counted under a reason.
    public var rejectedPoints = 0
    /// Rejections by reason (`exponential_histogram`, `no_value`, …), the labels of the
    /// dropped-points metric.
    public var rejectedByReason: [String: Int] = [:]
    /// One message per reason with the first metric it hit: the partial-success error message.
    public var messages: [String] = []
    /// The same messages by reason.
    public var messageByReason: [String: String] = [:]

    public init() {}

    public mutating func reject(_ reason: String, _ count: Int, metric: String, detail: String) {
        guard count > 0 else { return }
        rejectedPoints += count
        if rejectedByReason[reason] == nil {
            messages.append("\(metric): \(detail)")
            messageByReason[reason] = messages.last
        }
        rejectedByReason[reason, default: 0] += count
    }
}

/// OTLP metrics → Prometheus series, following OpenTelemetry's "Prometheus and OpenMetrics
/// Compatibility" specification:
/// - names: sanitized, unit word and `_total` suffixes (`PrometheusNaming`);
/// - attributes → labels (sanitized; keys that collide after sanitizing join their values with
///   `;` in key order); `service.namespace`/`service.name` → `job`, `service.instance.id` →
///   `instance`; other resource attributes → `target_info{job,instance,…} 1`;
/// - the instrumentation scope → `otel_scope_name`, `otel_scope_version`;
/// - cumulative monotonic sums → counters; non-monotonic sums and gauges → gauges; delta sums
///   and delta histograms are accumulated per stream into cumulative values;
/// - histograms → `_bucket{le}` (cumulative), `_sum`, `_count`; summaries → `{quantile}`,
///   `_sum`, `_count`;
/// - a point flagged "no recorded value" → a staleness marker;
/// - exponential histograms and points without a value are rejected with a reason.
///
/// A value type: the receiver owns one and serialises requests through it (the delta state
/// must see a stream's points in order).
public struct OTLPToPrometheus: Sendable {
    /// Delta streams are remembered up to this many; points of new streams past it are rejected
    /// (memory stays bounded whatever a sender does). Cumulative exponential histograms' layouts
    /// count too, but past the limit their points are kept (only layout changes go unmarked).
    public var maxDeltaStreams: Int
    public internal(set) var deltaStreams: [StreamKey: DeltaState] = [:]
    /// Running totals changed by the request being mapped, applied when it maps without error.
    var pendingDeltas: [StreamKey: DeltaState] = [:]
    /// How many of the pending streams are new (not in `deltaStreams`): the limit counts them.
    var newPendingStreams = 0
    /// Label sets by the raw bytes of the attributes they came from.
    var labelCache = LabelCache()

    public struct StreamKey: Hashable, Sendable {
        var name: String
        var labels: Labels
    }

    public enum DeltaState: Sendable {
        case sum(Double)
        case histogram(bounds: [Double], counts: [UInt64], sum: Double, count: UInt64)
        /// Accumulated in exponential space: an SDK changes the scale between exports as the
        /// range of values grows, which classic buckets could not add up.
        case exponential(ExponentialBuckets.Histogram)
        /// A cumulative exponential histogram's last layout: its `le` series that a new layout
        /// (the SDK changed the scale) no longer has get staleness markers.
        case exponentialLayout(ExponentialBuckets.Layout)
    }

    public init(maxDeltaStreams: Int = 100_000) {
        self.maxDeltaStreams = maxDeltaStreams
    }

    /// Maps a decoded request (OTLP/JSON bodies, tests). It goes through the binary encoding so
    /// that there is one mapping: `convert(protobuf:)`.
    public mutating func convert(_ request: ExportMetricsServiceRequest, receivedAtMs: Int64) -> OTLPConversion {
        let bytes: [UInt8] = (try? request.serializedBytes()) ?? []
        // A message swift-protobuf encoded always decodes.
        return (try? convert(protobuf: bytes, receivedAtMs: receivedAtMs)) ?? OTLPConversion()
    }

    /// The stream's running total as this request has it so far.
    private func current(_ key: StreamKey) -> DeltaState? { pendingDeltas[key] ?? deltaStreams[key] }

    /// Notes a stream about to get its first pending total; false when the limit forbids a new one.
    private mutating func admit(_ key: StreamKey) -> Bool {
        if pendingDeltas[key] != nil || deltaStreams[key] != nil { return true }
        guard deltaStreams.count + newPendingStreams < maxDeltaStreams else { return false }
        newPendingStreams += 1
        return true
    }

    /// Adds a delta to its stream's running total; nil when the stream is new and the limit is reached.
    mutating func accumulate(_ key: StreamKey, delta: Double) -> Double? {
        if case .sum(let total)? = current(key) {
            pendingDeltas[key] = .sum(total + delta)
            return total + delta
        }
        guard admit(key) else { return nil }
        pendingDeltas[key] = .sum(delta)
        return delta
    }

    /// Adds an exponential delta to its stream's running total (at the lower of the two scales),
    /// with the layout the total had before; nil when the stream is new and the limit is reached.
    mutating func accumulate(_ key: StreamKey, exponential delta: ExponentialBuckets.Histogram)
        -> (total: ExponentialBuckets.Histogram, previous: ExponentialBuckets.Layout?)?
    {
        if case .exponential(let total)? = current(key) {
            let merged = total.adding(delta)
            pendingDeltas[key] = .exponential(merged)
            return (merged, total.layout())
        }
        guard admit(key) else { return nil }
        pendingDeltas[key] = .exponential(delta)
        return (delta, nil)
    }

    /// Remembers a cumulative exponential stream's layout and returns the one before; nil when
    /// the stream is new, or when the limit is reached (its layout changes then go unmarked).
    mutating func replaceLayout(_ key: StreamKey, with layout: ExponentialBuckets.Layout) -> ExponentialBuckets.Layout? {
        if case .exponentialLayout(let previous)? = current(key) {
            if previous != layout { pendingDeltas[key] = .exponentialLayout(layout) }
            return previous
        }
        guard admit(key) else { return nil }
        pendingDeltas[key] = .exponentialLayout(layout)
        return nil
    }

    mutating func accumulate(_ key: StreamKey, bounds: [Double], counts: [UInt64], sum: Double, count: UInt64)
        -> (counts: [UInt64], sum: Double, count: UInt64)?
    {
        if case .histogram(let oldBounds, var oldCounts, let oldSum, let oldCount)? = current(key),
            oldBounds == bounds, oldCounts.count == counts.count
        {
            for i in oldCounts.indices { oldCounts[i] &+= counts[i] }
            let total = (oldCounts, oldSum + sum, oldCount &+ count)
            pendingDeltas[key] = .histogram(bounds: bounds, counts: total.0, sum: total.1, count: total.2)
            return total
        }
        // New stream, or its buckets changed: a changed layout starts a new cumulative series.
        guard admit(key) else { return nil }
        pendingDeltas[key] = .histogram(bounds: bounds, counts: counts, sum: sum, count: count)
        return (counts, sum, count)
    }
}

/// Label sets of points by (base labels, raw attribute bytes): a stream's attributes are the
/// same bytes in every export, and reading them (UTF-8 checks, sanitizing, sorting, merging) is
/// most of the mapping's cost. Bounded in entries and in bytes (an entry holds its attribute
/// bytes and its labels, which a sender can make large): when full it starts over.
struct LabelCache: Sendable {
    private struct Entry: Sendable {
        var baseID: Int
        var bytes: [UInt8]
        var labels: Labels
        var id: Int
    }

    private var entries: [Int: [Entry]] = [:]
    private var count = 0
    private var bytes = 0
    let maxBytes: Int
    /// Stream ids are never reused, not even after the cache starts over.
    private var nextID = 1
    private var baseIDs: [[Label]: Int] = [:]
    let capacity: Int

    init(capacity: Int = 200_000, maxBytes: Int = 64 << 20) {
        self.capacity = capacity
        self.maxBytes = maxBytes
    }

    /// A number for a base label list (the same list, the same number).
    mutating func id(of base: [Label]) -> Int {
        if let id = baseIDs[base] { return id }
        if baseIDs.count >= 10_000 { baseIDs.removeAll(); clear() }
        baseIDs[base] = baseIDs.count
        return baseIDs.count - 1
    }

    private static func hash(_ baseID: Int, _ bytes: UnsafeRawBufferPointer) -> Int {
        var hasher = Hasher()
        hasher.combine(baseID)
        hasher.combine(bytes: bytes)
        return hasher.finalize()
    }

    func lookup(_ baseID: Int, _ bytes: UnsafeRawBufferPointer) -> (labels: Labels, id: Int)? {
        guard let bucket = entries[Self.hash(baseID, bytes)] else { return nil }
        for entry in bucket where entry.baseID == baseID && entry.bytes.count == bytes.count && !bytes.isEmpty {
            let same = entry.bytes.withUnsafeBytes { memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }
            if same { return (entry.labels, entry.id) }
        }
        return nil
    }

    mutating func insert(_ baseID: Int, _ bytes: UnsafeRawBufferPointer, _ labels: Labels) -> Int {
        let size = bytes.count + labels.pairs.reduce(64) { $0 + $1.name.utf8.count + $1.value.utf8.count + 32 }
        if count >= capacity || self.bytes + size > maxBytes { clear() }
        let id = nextID
        nextID += 1
        entries[Self.hash(baseID, bytes), default: []].append(Entry(baseID: baseID, bytes: Array(bytes), labels: labels, id: id))
        count += 1
        self.bytes += size
        return id
    }

    private mutating func clear() {
        entries.removeAll()
        count = 0
        bytes = 0
    }
}

/// Families in first-seen order, each point appended to its family.
struct FamilyBuilder {
    var families: [MetricFamily] = []
    var index: [String: Int] = [:]

    mutating func add(name: String, type: MetricType, help: String, point: MetricPoint) {
        families[family(name, type: type, help: help)].points.append(point)
    }

    /// The index of the family `name`, made if new: a metric looks it up once for all its points.
    mutating func family(_ name: String, type: MetricType, help: String) -> Int {
        if let i = index[name] { return i }
        index[name] = families.count
        families.append(MetricFamily(name: name, type: type, help: help, unit: "", points: []))
        return families.count - 1
    }
}

extension UInt64 {
    /// Nanoseconds since the epoch as milliseconds; 0 ("unset") is the time the request arrived.
    func milliseconds(or fallbackMs: Int64) -> Int64 {
        self == 0 ? fallbackMs : Int64(clamping: self / 1_000_000)
    }
}
