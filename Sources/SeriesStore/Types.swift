import ScopeCore

/// A series' stable identity inside one store. Refs are handed out in increasing order and never
/// reused, so a ref kept by a collector can never point at another series: once its series has been
/// dropped by retention, appending by the old ref fails with `StoreError.unknownSeries`.
public struct SeriesRef: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public static func < (a: SeriesRef, b: SeriesRef) -> Bool { a.rawValue < b.rawValue }

    public var description: String { "#\(rawValue)" }
}

/// Why a sample (or a new series) was not stored.
public enum RejectReason: Int, Sendable, CaseIterable, CustomStringConvertible {
    /// Older than the series' newest sample.
    case outOfOrder
    /// Same timestamp as the series' newest sample, different value.
    case duplicateTimestamp
    /// Older than the retention horizon (already truncated away).
    case tooOld
    /// Would create a series beyond the series limit.
    case seriesLimit
    /// Empty label set, empty label name, or a label beyond the length/count limits.
    case invalidLabels
    /// Appended by a ref whose series no longer exists (or never did).
    case unknownSeries
    /// Would take the store's estimated memory past `maxMemoryBytes`.
    case memoryLimit

    public var description: String {
        switch self {
        case .outOfOrder: "out_of_order"
        case .duplicateTimestamp: "duplicate_timestamp"
        case .tooOld: "too_old"
        case .seriesLimit: "series_limit"
        case .invalidLabels: "invalid_labels"
        case .unknownSeries: "unknown_series"
        case .memoryLimit: "memory_limit"
        }
    }
}

/// Everything the store refuses, each with what a person needs to find the culprit.
public enum StoreError: Error, Sendable, CustomStringConvertible {
    case outOfOrder(series: Labels, timestampMs: Int64, newestMs: Int64)
    case duplicateTimestamp(series: Labels, timestampMs: Int64, stored: Double, rejected: Double)
    case tooOld(series: Labels, timestampMs: Int64, minValidMs: Int64)
    case seriesLimit(limit: Int, series: Labels)
    case memoryLimit(limitBytes: Int, series: Labels)
    case invalidLabels(series: Labels, reason: String)
    case unknownSeries(SeriesRef)
    /// A select matched more series (with data in the range) than the per-query limit.
    case querySeriesLimit(limit: Int, matchers: [LabelMatcher])
    /// The query's time limit (`QueryDeadline`) ran out while the select matched label values.
    case queryTimeout(limitMs: Int64)

    /// The rejection counter this error is counted under (nil for a refused query).
    public var reason: RejectReason? {
        switch self {
        case .outOfOrder: .outOfOrder
        case .duplicateTimestamp: .duplicateTimestamp
        case .tooOld: .tooOld
        case .seriesLimit: .seriesLimit
        case .memoryLimit: .memoryLimit
        case .invalidLabels: .invalidLabels
        case .unknownSeries: .unknownSeries
        case .querySeriesLimit, .queryTimeout: nil
        }
    }

    public var description: String {
        switch self {
        case let .outOfOrder(series, t, newest):
            "out-of-order sample for \(series): timestamp \(t) is before the series' newest sample at \(newest)"
        case let .duplicateTimestamp(series, t, stored, rejected):
            "duplicate sample for \(series) at timestamp \(t) with a different value: stored \(stored), rejected \(rejected)"
        case let .tooOld(series, t, minValid):
            "sample for \(series) at timestamp \(t) is older than the retention horizon \(minValid)"
        case let .seriesLimit(limit, series):
            "series limit of \(limit) reached: new series \(series) rejected (raise the limit or drop labels with many values)"
        case let .memoryLimit(limit, series):
            "memory budget of \(limit) bytes reached (--max-memory): new series \(series) rejected"
        case let .invalidLabels(series, reason):
            "invalid label set \(series): \(reason)"
        case let .unknownSeries(ref):
            "unknown series ref \(ref) (removed by retention, or never created); append by labels instead"
        case let .querySeriesLimit(limit, matchers):
            "query touches more than \(limit) series (the per-query limit): {\(matchers.map(\.description).joined(separator: ", "))}; narrow the selector or raise the limit"
        case let .queryTimeout(limitMs):
            "query ran longer than its time limit of \(formatDurationMs(limitMs)) while matching label values"
        }
    }
}

/// Store configuration. Every quantity is bounded.
public struct StoreOptions: Sendable {
    /// Samples older than `now - retentionMs` are dropped (whole chunks) by `enforceRetention`.
    public var retentionMs: Int64 = 3_600_000
    /// New series beyond this many are rejected (`StoreError.seriesLimit`).
    public var maxSeries: Int = 500_000
    /// Room above `maxSeries` kept for the series a collector writes about its sources (`up`,
    /// `scrape_duration_seconds`…: `append(_:timestampMs:value:reserved: true)`), so a full store
    /// still says which target is down.
    public var reservedSeries: Int = 10_000
    /// New series are refused before the store's estimated memory (label text and a fixed
    /// allowance per series for its index entries and chunks, see `seriesCost`) passes this.
    /// With ordinary labels the series limit binds first; series with huge labels hit this.
    public var maxMemoryBytes: Int = 1 << 30
    /// A select that would return more series than this fails (`StoreError.querySeriesLimit`).
    public var maxSeriesPerQuery: Int = 100_000
    /// A head chunk is sealed after this many samples (Prometheus: 120).
    public var chunkMaxSamples: Int = 120
    /// …or when it would span more than this; nil means half the retention, so memory holds at
    /// most 1.5 × retention of data.
    public var chunkMaxSpanMs: Int64? = nil
    /// The event timeline keeps at most this many events (the oldest go first).
    public var maxEvents: Int = 10_000
    /// Limits on one label set (Prometheus's label_limit / label_name_length_limit /
    /// label_value_length_limit, here always on).
    public var maxLabelsPerSeries: Int = 64
    public var maxLabelNameBytes: Int = 1024
    public var maxLabelValueBytes: Int = 16 * 1024

    public init() {}

    public init(retentionMs: Int64 = 3_600_000, maxSeries: Int = 500_000, maxSeriesPerQuery: Int = 100_000) {
        self.retentionMs = retentionMs
        self.maxSeries = maxSeries
        self.maxSeriesPerQuery = maxSeriesPerQuery
    }

    var effectiveChunkSpanMs: Int64 { chunkMaxSpanMs ?? max(1, retentionMs / 2) }
}

/// One sample addressed by ref (the collector's fast path).
public struct RefSample: Sendable {
    public var ref: SeriesRef
    public var timestampMs: Int64
    public var value: Double

    public init(ref: SeriesRef, timestampMs: Int64, value: Double) {
        self.ref = ref
        self.timestampMs = timestampMs
        self.value = value
    }
}

/// One sample of a scrape. `timestampMs` is the exposed timestamp, if the target stamped the
/// sample itself; such samples are stored at that time and not tracked for staleness (as Prometheus).
public struct ScrapedSample: Sendable {
    /// The series' labels, `__name__` included.
    public var labels: Labels
    public var value: Double
    public var timestampMs: Int64?

    public init(labels: Labels, value: Double, timestampMs: Int64? = nil) {
        self.labels = labels
        self.value = value
        self.timestampMs = timestampMs
    }

    /// A parsed exposition point, with the target's labels (`job`, `instance`) layered on top.
    /// As Prometheus with `honor_labels: false`: a target label the series has itself is kept
    /// as `exported_<name>` (a federating or OTLP-bridging target's `job` is not lost).
    public init(_ point: MetricPoint, targetLabels: Labels = Labels()) {
        var own = point.labels.pairs
        for target in targetLabels.pairs {
            if let i = own.firstIndex(where: { $0.name == target.name }), !own[i].value.isEmpty {
                own[i] = Label("exported_" + target.name, own[i].value)
            }
        }
        self.labels = Labels(own + targetLabels.pairs + [Label("__name__", point.name)])
        self.value = point.value
        self.timestampMs = point.timestampMs
    }
}

/// What a batch append did.
public struct AppendSummary: Sendable {
    /// Samples stored.
    public var appended = 0
    /// Exact repeats of a stored sample (same timestamp, same value bits): accepted, nothing stored.
    public var duplicatesIgnored = 0
    /// Rejected samples by reason.
    public var rejected: [RejectReason: Int] = [:]
    /// The first few errors (at most `AppendSummary.maxErrors`), for a log line.
    public var errors: [StoreError] = []

    public static let maxErrors = 10

    public var rejectedTotal: Int { rejected.values.reduce(0, +) }

    public init() {}

    mutating func record(_ error: StoreError) {
        if let reason = error.reason { rejected[reason, default: 0] += 1 }
        if errors.count < Self.maxErrors { errors.append(error) }
    }
}

/// What one scrape's ingestion did.
public struct ScrapeSummary: Sendable {
    public var samples = AppendSummary()
    /// Staleness markers written for series the target exposed last time but not this time.
    public var staleMarkers = 0
    /// Series the target exposes now (tracked for staleness).
    public var seriesTracked = 0
    /// Set when the whole scrape was refused (nothing stored): it would have taken the store
    /// past its series limit. A scrape is stored whole or not at all, so one target that grows
    /// fails alone instead of filling the store and shutting the others out.
    public var refused: String?

    public init() {}
}

/// What a retention pass removed.
public struct TruncateSummary: Sendable, Equatable {
    public var chunksDropped = 0
    public var samplesDropped = 0
    public var bytesFreed = 0
    public var seriesRemoved = 0
    public var eventsDropped = 0

    public init() {}
}

/// The store's own numbers, for its `/metrics` and the status line.
public struct StoreStats: Sendable, Equatable {
    public var series = 0
    /// Distinct strings in the symbol table (label names and values).
    public var symbols = 0
    /// Samples held in memory (sealed chunks and head chunks).
    public var samplesInMemory = 0
    /// Chunks held (sealed ones plus non-empty heads).
    public var chunks = 0
    /// Encoded bytes of all chunks (the bit streams; metadata not included).
    public var chunkBytes = 0
    /// The store's memory estimate, checked against `maxMemoryBytes`.
    public var memoryEstimateBytes = 0
    public var seriesCreated: UInt64 = 0
    public var seriesRemoved: UInt64 = 0
    /// New series refused by the series limit.
    public var rejectedSeries: UInt64 = 0
    public var samplesAppended: UInt64 = 0
    public var duplicatesIgnored: UInt64 = 0
    public var samplesRejected: [RejectReason: UInt64] = [:]
    public var staleMarkersWritten: UInt64 = 0
    public var chunksSealed: UInt64 = 0
    public var chunksDropped: UInt64 = 0
    public var selects: UInt64 = 0
    public var selectsRefused: UInt64 = 0
    public var events = 0
    public var eventsDropped: UInt64 = 0

    public init() {}

    public var samplesRejectedTotal: UInt64 { samplesRejected.values.reduce(0, +) }

    /// Encoded bytes per sample held (0 when empty).
    public var bytesPerSample: Double {
        samplesInMemory == 0 ? 0 : Double(chunkBytes) / Double(samplesInMemory)
    }

    /// The numbers as metric families (`<prefix>_series`, `<prefix>_samples_appended_total`, …).
    public func metricFamilies(prefix: String = "strmscope_store") -> [MetricFamily] {
        func gauge(_ name: String, _ help: String, _ value: Double) -> MetricFamily {
            var family = MetricFamily(name: "\(prefix)_\(name)", type: .gauge, help: help)
            family.add(Labels(), value)
            return family
        }
        func counter(_ name: String, _ help: String, _ value: UInt64) -> MetricFamily {
            var family = MetricFamily(name: "\(prefix)_\(name)", type: .counter, help: help)
            family.points = [MetricPoint(name: "\(prefix)_\(name)", value: Double(value))]
            return family
        }
        var rejected = MetricFamily(name: "\(prefix)_samples_rejected_total", type: .counter, help: "Samples not stored, by reason.")
        for reason in RejectReason.allCases {
            rejected.points.append(MetricPoint(name: rejected.name, labels: ["reason": reason.description], value: Double(samplesRejected[reason] ?? 0)))
        }
        return [
            gauge("series", "Series in memory.", Double(series)),
            gauge("symbols", "Distinct label names and values interned.", Double(symbols)),
            gauge("samples", "Samples held in memory.", Double(samplesInMemory)),
            gauge("chunks", "Compressed chunks held in memory.", Double(chunks)),
            gauge("chunk_bytes", "Encoded bytes of all chunks.", Double(chunkBytes)),
            gauge("memory_estimate_bytes", "The store's memory estimate (label text and a per-series allowance), against --max-memory.",
                  Double(memoryEstimateBytes)),
            gauge("bytes_per_sample", "Encoded chunk bytes per sample held.", bytesPerSample),
            gauge("events", "Events on the timeline.", Double(events)),
            counter("series_created_total", "Series created.", seriesCreated),
            counter("series_removed_total", "Series removed by retention.", seriesRemoved),
            counter("series_rejected_total", "New series refused by the series limit.", rejectedSeries),
            counter("samples_appended_total", "Samples stored.", samplesAppended),
            counter("samples_duplicate_total", "Exact repeats of stored samples, ignored.", duplicatesIgnored),
            rejected,
            counter("stale_markers_total", "Staleness markers written.", staleMarkersWritten),
            counter("chunks_sealed_total", "Chunks sealed.", chunksSealed),
            counter("chunks_dropped_total", "Chunks dropped by retention.", chunksDropped),
            counter("selects_total", "Selects served.", selects),
            counter("selects_refused_total", "Selects refused by the per-query series limit.", selectsRefused),
            counter("events_dropped_total", "Events dropped by the event limit or retention.", eventsDropped),
        ]
    }
}
