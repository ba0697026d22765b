import Alerting
import Collectors
import Exposition
import Foundation
import KafkaDirect
import PromQL
import ScopeCore
import SeriesStore
import StreamLog

/// What `strmscope query` reads and evaluates.
public struct QueryOptions: Sendable {
    public var expression: String
    /// Exposition files with timestamps (OpenMetrics when the file ends with `# EOF`).
    public var files: [String] = []
    /// `/metrics` URLs, scraped once at the evaluation time.
    public var scrapeURLs: [String] = []
    /// An embedded log directory, sampled once (read-only).
    public var logDirectory: String?
    /// A Kafka cluster, read once directly (`--kafka`).
    public var kafka: KafkaOptions?
    /// A Prometheus-compatible server that evaluates the query itself…
    public var prometheusURL: String?
    /// …or, with this, only serves the raw series: strmscope's engine evaluates.
    public var backfill = false
    /// Instant query time (default now), or a range.
    public var timeMs: Int64?
    public var range: (startMs: Int64, endMs: Int64, stepMs: Int64)?
    public var json = false
    /// The longest the evaluation may run.
    public var timeoutMs: Int64 = 30_000
    /// Per scrape target (`--scrape-*-limit`).
    public var scrapeLimits = ScrapeLimits()

    public init(expression: String) { self.expression = expression }
}

/// `strmscope query`: loads the sources into a fresh store and evaluates one PromQL expression
/// with strmscope's own engine (or asks a Prometheus server to), printing a table or the
/// Prometheus HTTP API's JSON.
public enum QueryRunner {
    public static func run(_ options: QueryOptions, clock: any Clock = SystemClock(), output: OutputSink,
                           report: @escaping @Sendable (String) -> Void = { writeError("strmscope: warning: \($0)") }) throws {
        let now = clock.nowMs()
        let result: QueryResult
        if let url = options.prometheusURL, !options.backfill {
            result = try remote(options, url: url, now: now)
        } else {
            var fileSpans: [(file: String, span: ClosedRange<Int64>)] = []
            let store = try load(options, now: now, report: report, fileSpans: &fileSpans)
            let engine = Engine(timeoutMs: options.timeoutMs)
            if let range = options.range {
                result = try engine.range(options.expression, start: range.startMs, end: range.endMs, step: range.stepMs, on: store)
            } else {
                result = try engine.instant(options.expression, at: options.timeMs ?? now, on: store)
            }
            if result.isEmpty, let hint = staleFileHint(fileSpans, timeMs: options.timeMs ?? now, range: options.range) { report(hint) }
        }
        output.write(options.json ? QueryOutput.json(result) + "\n" : QueryOutput.table(result))
        output.flush()
    }

    /// An empty answer over files whose samples lie outside what the query looked at (older than
    /// the 5-minute lookback, or later): say where they are and how to ask about them.
    static func staleFileHint(_ spans: [(file: String, span: ClosedRange<Int64>)], timeMs: Int64,
                              range: (startMs: Int64, endMs: Int64, stepMs: Int64)?) -> String? {
        let lookbackMs: Int64 = 300_000
        let (from, to) = range.map { ($0.startMs, $0.endMs) } ?? (timeMs, timeMs)
        let outside = spans.filter { $0.span.upperBound + lookbackMs < from || $0.span.lowerBound > to }
        guard outside.count == spans.count, let latest = outside.max(by: { $0.span.upperBound < $1.span.upperBound }) else { return nil }
        let seconds = { (ms: Int64) in ms % 1000 == 0 ? String(ms / 1000) : String(format: "%.3f", Double(ms) / 1000) }
        let asked = range == nil ? "at \(rfc3339(timeMs))" : "from \(rfc3339(from)) to \(rfc3339(to))"
        return "no series \(asked), but the samples of \(latest.file) span \(rfc3339(latest.span.lowerBound)) to "
            + "\(rfc3339(latest.span.upperBound)) (a query sees samples up to 5m old): try --time \(seconds(latest.span.upperBound))"
            + (range == nil ? "" : " or --start \(seconds(latest.span.lowerBound)) --end \(seconds(latest.span.upperBound))")
    }

    /// A fresh store holding everything the options name.
    static func load(_ options: QueryOptions, now: Int64, report: @escaping @Sendable (String) -> Void) throws -> SeriesStore {
        var spans: [(file: String, span: ClosedRange<Int64>)] = []
        return try load(options, now: now, report: report, fileSpans: &spans)
    }

    static func load(_ options: QueryOptions, now: Int64, report: @escaping @Sendable (String) -> Void,
                     fileSpans: inout [(file: String, span: ClosedRange<Int64>)]) throws -> SeriesStore {
        var storeOptions = StoreOptions()
        storeOptions.retentionMs = .max / 4  // files may hold any history
        let store = SeriesStore(options: storeOptions, clock: ManualClock(startMs: now))
        for file in options.files {
            if let span = try loadFile(file, into: store, now: now) { fileSpans.append((file, span)) }
        }
        if let directory = options.logDirectory {
            let log = try StreamLog.open(directory: directory, readOnly: true)
            for note in log.recoveryNotes { report("\(note)") }
            EmbeddedLogSource(log: log, store: store).collect(atMs: options.timeMs ?? now)
        }
        let scraper = Scraper(store: store, report: report)
        for url in options.scrapeURLs {
            scraper.scrape(ScrapeTarget(url: url, job: "scrape", limits: options.scrapeLimits), atMs: options.timeMs ?? now)
        }
        if let kafka = options.kafka {
            // As a failed scrape: `up` is 0 and the reason is on stderr, the query still answers.
            if let problem = try KafkaSource(options: kafka).collect(into: store, atMs: options.timeMs ?? now).problem { report(problem) }
        }
        if let url = options.prometheusURL {
            let expression = try PromQL.parse(options.expression)
            let (start, end) = options.range.map { ($0.startMs, $0.endMs) } ?? (options.timeMs ?? now, options.timeMs ?? now)
            try PrometheusBackfill.load(expression, startMs: start, endMs: end, from: PrometheusAPIClient(baseURL: url), into: store)
        }
        return store
    }

    /// Appends every sample of an exposition file; a sample without a timestamp is stamped `now`.
    /// Loads an exposition file; returns the time span its samples cover (samples without a
    /// timestamp count as `now`), nil when it held none.
    @discardableResult
    static func loadFile(_ path: String, into store: SeriesStore, now: Int64) throws -> ClosedRange<Int64>? {
        // The store holds everything in memory: refuse what could not fit rather than die trying.
        let limit = 4 << 30
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber, size.intValue > limit {
            throw CommandError("\(path): \(size.intValue) bytes is more than the \(limit)-byte limit for a loaded file")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw CommandError("\(path): cannot read the file") }
        let bytes = [UInt8](data)
        let text = String(decoding: bytes.suffix(64), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let dialect: ExpositionDialect = text.hasSuffix("# EOF") ? .openMetrics : .prometheusText
        var parser = ExpositionParser(bytes, dialect: dialect, strictness: .prometheusCompatible, file: path)
        var failure: StoreError?
        var failedSample: String?
        var span: ClosedRange<Int64>?
        try parser.forEachSample { sample in
            guard failure == nil else { return }
            let time = sample.timestampMs ?? now
            span = span.map { min($0.lowerBound, time)...max($0.upperBound, time) } ?? time...time
            do throws(StoreError) {
                try store.append(sample.point.labelsWithName, timestampMs: time, value: sample.value)
            } catch {
                failure = error
                failedSample = "\(sample)"
            }
        }
        if let failure { throw CommandError("\(path): sample \(failedSample ?? "") not loaded: \(failure)") }
        return span
    }

    static func remote(_ options: QueryOptions, url: String, now: Int64) throws -> QueryResult {
        guard options.files.isEmpty, options.scrapeURLs.isEmpty, options.logDirectory == nil, options.kafka == nil else {
            throw CommandError("--prometheus evaluates on the server: to combine it with --file, --scrape, --log or --kafka, add --backfill")
        }
        let client = PrometheusAPIClient(baseURL: url)
        if let range = options.range {
            return .matrix(try client.queryRange(options.expression, startMs: range.startMs, endMs: range.endMs, stepMs: range.stepMs))
        }
        let at = options.timeMs ?? now
        switch try client.query(options.expression, atMs: at) {
        case .vector(let series):
            return .vector(series.compactMap { s in s.samples.first.map { InstantSample(labels: s.labels, timestampMs: $0.timestampMs, value: $0.value) } })
        case .matrix(let series): return .matrix(series)
        case .scalar(let sample): return .scalar(timestampMs: sample.timestampMs, value: sample.value)
        case .string(let text, let ms): return .string(timestampMs: ms, value: text)
        }
    }
}

extension MetricPoint {
    /// The point's labels with `__name__` set to its series name.
    var labelsWithName: Labels { labels.setting("__name__", name) }
}

/// How query results are printed.
public enum QueryOutput {
    /// The Prometheus HTTP API's `/api/v1/query[_range]` response.
    public static func json(_ result: QueryResult) -> String {
        func metric(_ labels: Labels) -> String {
            "{" + labels.pairs.map { "\(quoted($0.name)):\(quoted($0.value))" }.joined(separator: ",") + "}"
        }
        func pair(_ ms: Int64, _ value: String) -> String { "[\(seconds(ms)),\(quoted(value))]" }
        let (type, body): (String, String)
        switch result {
        case .scalar(let ms, let value):
            (type, body) = ("scalar", pair(ms, goFormatFloatF(value)))
        case .string(let ms, let value):
            (type, body) = ("string", pair(ms, value))
        case .vector(let samples):
            (type, body) = ("vector", "[" + samples.map { "{\"metric\":\(metric($0.labels)),\"value\":\(pair($0.timestampMs, goFormatFloatF($0.value)))}" }.joined(separator: ",") + "]")
        case .matrix(let series):
            (type, body) = ("matrix", "[" + series.map { s in
                "{\"metric\":\(metric(s.labels)),\"values\":[" + s.samples.map { pair($0.timestampMs, goFormatFloatF($0.value)) }.joined(separator: ",") + "]}"
            }.joined(separator: ",") + "]")
        }
        return "{\"status\":\"success\",\"data\":{\"resultType\":\"\(type)\",\"result\":\(body)}}"
    }

    static func quoted(_ text: String) -> String { jsonQuoted(text) }

    /// Unix seconds with the milliseconds, as Prometheus writes them (`1700000000.5`).
    static func seconds(_ ms: Int64) -> String {
        let whole = ms / 1000
        var fraction = abs(ms % 1000)
        guard fraction != 0 else { return String(whole) }
        var digits = 3
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        let sign = ms < 0 && whole == 0 ? "-" : ""
        return "\(sign)\(whole)." + String(repeating: "0", count: digits - String(fraction).count) + String(fraction)
    }

    /// A table for people: one line per series (instant), or the series then its samples (range).
    static func table(_ result: QueryResult) -> String {
        switch result {
        case .scalar(_, let value):
            return "scalar  \(goFormatFloatF(value))\n"
        case .string(_, let value):
            return "string  \(sanitizeForTerminal(value))\n"
        case .vector(let samples):
            if samples.isEmpty { return "(no series)\n" }
            return formatTable(["SERIES", "VALUE"], samples.map { [sanitizeForTerminal(formatMetric($0.labels)), goFormatFloatF($0.value)] })
        case .matrix(let series):
            if series.isEmpty { return "(no series)\n" }
            var out = ""
            for s in series {
                out += sanitizeForTerminal(formatMetric(s.labels)) + "\n"
                for sample in s.samples { out += "  \(LogListings.formatTimestamp(sample.timestampMs))  \(goFormatFloatF(sample.value))\n" }
            }
            return out
        }
    }
}
