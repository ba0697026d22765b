import OTLP
import ScopeCore
import SeriesStore
import Synchronization

/// The latest value of every series received over OTLP, by family: what the sidecar exposes on
/// /metrics and re-exports. A staleness marker removes a series; series not updated for
/// `expiryMs` are dropped (an instance that went away must not be exposed forever), and at most
/// `maxSeries` are kept (new series past that are counted as dropped).
public final class ReceivedSeries: Sendable {
    private struct Family {
        var type: MetricType
        var help: String
        var points: [SeriesKey: (point: MetricPoint, seenMs: Int64)] = [:]
    }

    private struct SeriesKey: Hashable {
        var name: String
        var labels: Labels
    }

    private struct State {
        var families: [String: Family] = [:]
        var order: [String] = []
        var series = 0
    }

    private let state = Mutex(State())
    public let expiryMs: Int64
    public let maxSeries: Int
    private let metrics: SelfMetrics

    public init(expiryMs: Int64 = 5 * 60_000, maxSeries: Int = 1_000_000, metrics: SelfMetrics) {
        self.expiryMs = expiryMs
        self.maxSeries = maxSeries
        self.metrics = metrics
        metrics.declare("strmscope_otlp_series", type: .gauge, help: "Series received over OTLP and currently exposed.")
    }

    /// Takes one request's conversion (the receiver's sink).
    public func ingest(_ conversion: OTLPConversion, receivedAtMs: Int64) {
        var refused = 0
        let count = state.withLock { state -> Int in
            for family in conversion.families {
                if state.families[family.name] == nil {
                    state.families[family.name] = Family(type: family.type, help: family.help)
                    state.order.append(family.name)
                }
                for point in family.points {
                    let key = SeriesKey(name: point.name, labels: point.labels)
                    if point.value.isStaleMarker {
                        if state.families[family.name]!.points.removeValue(forKey: key) != nil { state.series -= 1 }
                        continue
                    }
                    if state.families[family.name]!.points[key] == nil {
                        guard state.series < maxSeries else { refused += 1; continue }
                        state.series += 1
                    }
                    state.families[family.name]!.points[key] = (point, receivedAtMs)
                }
            }
            return state.series
        }
        metrics.set("strmscope_otlp_series", Labels(), Double(count))
        if refused > 0 { metrics.add("strmscope_otlp_points_dropped_total", ["reason": "series_limit"], Double(refused)) }
    }

    /// Every family with its current points (sorted by series for a stable exposition),
    /// forgetting series older than the expiry first. Timestamps are kept: the exporter sends
    /// them on; /metrics callers drop them.
    public func snapshot(nowMs: Int64) -> [MetricFamily] {
        let (families, count) = state.withLock { state -> ([MetricFamily], Int) in
            var out: [MetricFamily] = []
            for name in state.order {
                var family = state.families[name]!
                let before = family.points.count
                family.points = family.points.filter { nowMs - $0.value.seenMs <= expiryMs }
                state.series -= before - family.points.count
                state.families[name] = family
                guard !family.points.isEmpty else { continue }
                let points = family.points.values.map(\.point).sorted(by: exposedBefore)
                out.append(MetricFamily(name: name, type: family.type, help: family.help, points: points))
            }
            return (out, state.series)
        }
        metrics.set("strmscope_otlp_series", Labels(), Double(count))
        return families
    }
}

/// Exposition order: the lines of one series together (a histogram's buckets, `_count`, `_sum`),
/// buckets and quantiles in increasing numeric order (`+Inf` last), as OpenMetrics requires.
func exposedBefore(_ a: MetricPoint, _ b: MetricPoint) -> Bool {
    let series = { (p: MetricPoint) in p.labels.removing("le").removing("quantile").pairs }
    let (sa, sb) = (series(a), series(b))
    if sa != sb { return sa.lexicographicallyPrecedes(sb) }
    if a.name != b.name { return a.name < b.name }
    let bound = { (p: MetricPoint) in (p.labels["le"] ?? p.labels["quantile"]).flatMap { Double($0) } ?? -.infinity }
    return bound(a) < bound(b)
}

/// The receiver's sink for the scope and eval: every received point into the store, as a
/// sample of `__name__` plus its labels at its own timestamp.
///
/// Points the converter knows from earlier batches carry a stream id; the sink keeps the
/// series' store ref under (id, name) and appends by ref — no label hashing, no index lookup —
/// after checking the labels are the ones it stored (an id is only a hint). Everything else,
/// and refs that retention dropped, goes by labels.
public func storeSink(_ store: SeriesStore, metrics: SelfMetrics) -> @Sendable (OTLPConversion) -> Void {
    metrics.declare("strmscope_otlp_samples_rejected_total", type: .counter,
                    help: "Samples from OTLP the store refused (out of order, too old, limits).")
    let refs = RefCache()
    return { conversion in
        var byRef: [RefSample] = []
        var byLabels: [(labels: Labels, timestampMs: Int64, value: Double)] = []
        var newSeries: [(key: RefCache.Key, point: MetricPoint)] = []
        for family in conversion.families {
            for point in family.points {
                let key = point.streamID.map { RefCache.Key(stream: $0, name: point.name) }
                if let key, let ref = refs.ref(key, point.labels) {
                    byRef.append(RefSample(ref: ref, timestampMs: point.timestampMs ?? 0, value: point.value))
                } else if let key {
                    newSeries.append((key, point))
                } else {
                    byLabels.append((point.labels.setting("__name__", point.name), point.timestampMs ?? 0, point.value))
                }
            }
        }
        var rejected = 0
        let summary = store.append(byRef)
        if summary.rejected[.unknownSeries, default: 0] > 0 {
            // Retention removed some series: forget every ref and append this batch by labels
            // (samples already stored are exact repeats, which the store ignores).
            refs.removeAll()
            byLabels = conversion.families.flatMap { family in
                family.points.map { ($0.labels.setting("__name__", $0.name), $0.timestampMs ?? 0, $0.value) }
            }
            newSeries = []
        } else {
            rejected += summary.rejectedTotal
        }
        for (key, point) in newSeries {
            do {
                let ref = try store.append(point.labels.setting("__name__", point.name), timestampMs: point.timestampMs ?? 0, value: point.value)
                refs.insert(key, point.labels, ref)
            } catch {
                rejected += 1
            }
        }
        let labeled = store.append(labeled: byLabels)
        rejected += byLabels.count - labeled.appended
        if rejected > 0 { metrics.add("strmscope_otlp_samples_rejected_total", Labels(), Double(rejected)) }
    }
}

/// Series refs by (stream id, name) (see `storeSink`). Only used from the sink, which runs under
/// the receiver's lock: no lock of its own. Bounded: when full it starts over.
final class RefCache: @unchecked Sendable {
    struct Key: Hashable {
        var stream: Int
        var name: String
    }

    private var map: [Key: (labels: Labels, ref: SeriesRef)] = [:]
    let capacity = 500_000

    /// The ref stored under `key` if it was stored for exactly these labels.
    func ref(_ key: Key, _ labels: Labels) -> SeriesRef? {
        guard let entry = map[key], entry.labels == labels else { return nil }
        return entry.ref
    }

    func insert(_ key: Key, _ labels: Labels, _ ref: SeriesRef) {
        if map.count >= capacity { map.removeAll() }
        map[key] = (labels, ref)
    }

    func removeAll() { map.removeAll() }
}
