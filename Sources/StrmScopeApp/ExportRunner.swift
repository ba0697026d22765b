import Collectors
import Exporter
import Exposition
import Foundation
import KafkaDirect
import OTLP
import ScopeCore
import StreamLog
import Synchronization

public struct ExportOptions: Sendable {
    public var logDirectory: String?
    public var scrapeURLs: [String] = []
    /// A Kafka cluster read directly every interval (`--kafka`).
    public var kafka: KafkaOptions?
    public var otlpListen: ListenAddress?
    public var receiver = OTLPReceiver.Options()
    /// nil: only /metrics is served (an OTLP → Prometheus bridge).
    public var endpoint: String?
    public var intervalMs: Int64 = 15_000
    public var resource: [(key: String, value: String)] = []
    public var headers: [(name: String, value: String)] = []
    public var queueSize = 64
    public var listen = ListenAddress(host: "127.0.0.1", port: 9464)
    public var timeoutMs: Int64 = 10_000
    public var shutdownTimeoutMs: Int64 = 5_000
    /// Per scrape target (`--scrape-*-limit`).
    public var scrapeLimits = ScrapeLimits()

    public init() {}
}

/// `strmscope export`: every interval, collect the sources (embedded log, scrapes, what the
/// OTLP receiver got), keep the result for /metrics and, with an endpoint, queue it as one OTLP
/// request for the pusher thread. SIGINT/SIGTERM: one last collection, then the queue is flushed
/// until the shutdown deadline.
public enum ExportRunner {
    public static func run(_ options: ExportOptions, clock: any Clock = SystemClock()) throws {
        installStopHandlers()
        let metrics = SelfMetrics()
        metrics.declare("strmscope_collect_duration_seconds", type: .gauge, help: "Duration of the last collection, by source.", labels: [])
        metrics.declare("strmscope_scrape_duration_seconds", type: .gauge, help: "Duration of the last scrape, by target.", labels: [])
        metrics.declare("strmscope_export_collections_total", type: .counter, help: "Collections of the sources.")
        metrics.declare("strmscope_scrape_failures_total", type: .counter,
                        help: "Failed scrapes by target and reason (a limit's name, parse, or the request failing).", labels: [])
        let log = try options.logDirectory.map { try StreamLog.open(directory: $0, readOnly: true) }
        let kafka = try options.kafka.map { try KafkaSource(options: $0) }
        let received = options.otlpListen == nil ? nil : ReceivedSeries(metrics: metrics)
        let report: @Sendable (String) -> Void = { writeError("strmscope: warning: \($0)") }

        // The last collection of the log and scrapes; what the receiver got is read live.
        let latest = Mutex<[MetricFamily]?>(nil)
        let endpoint = MetricsEndpoint(
            families: {
                // Received points keep their own time for OTLP; on /metrics the scrape time is the time.
                let live = (received?.snapshot(nowMs: clock.nowMs()) ?? []).map { family -> MetricFamily in
                    var family = family
                    for i in family.points.indices { family.points[i].timestampMs = nil }
                    return family
                }
                return (latest.withLock { $0 } ?? []) + live + metrics.families
            },
            notReadyReason: { latest.withLock { $0 } == nil ? "the first collection has not finished" : nil })
        let server = try HTTPServer.start(options.listen, routes: endpoint.routes)
        defer { server.stop() }
        writeError("strmscope export: serving http://\(server.address)/metrics (/healthz, /readyz)")

        var receiverServer: HTTPServer?
        if let address = options.otlpListen, let received {
            let receiver = OTLPReceiver(options: options.receiver, metrics: metrics, clock: clock, report: report) { conversion in
                received.ingest(conversion, receivedAtMs: clock.nowMs())
            }
            receiverServer = try HTTPServer.start(address, routes: [receiver.route], notFound: { [receiver] in receiver.handle($0) })
            writeError("strmscope export: receiving OTLP on http://\(receiverServer!.address)\(OTLPReceiver.path)")
        }
        defer { receiverServer?.stop() }

        let pusher = options.endpoint.map { url -> OTLPPusher in
            var pushOptions = OTLPPusher.Options(endpoint: OTLPPusher.metricsURL(url))
            pushOptions.headers = options.headers
            pushOptions.queueCapacity = options.queueSize
            pushOptions.timeoutMs = options.timeoutMs
            return OTLPPusher(options: pushOptions, metrics: metrics, clock: clock, report: { writeError("strmscope: \($0)") })
        }
        pusher?.start()
        if let pusher { writeError("strmscope export: pushing to \(pusher.options.endpoint) every \(formatDurationMs(options.intervalMs))") }
        let mapper = PrometheusToOTLP(resourceAttributes: options.resource, startTimeUnixNano: UInt64(clock.nowMs()) * 1_000_000)

        func collect() {
            let now = clock.nowMs()
            var families: [MetricFamily] = []
            if let log {
                let started = monotonicNanos()
                log.refreshFromWriter()
                families += log.metricFamilies().map { labelled($0, job: "strmscope", instance: "embedded-log") }
                metrics.set("strmscope_collect_duration_seconds", ["source": "log"], Double(monotonicNanos() - started) / 1e9)
            }
            if let kafka {
                let started = monotonicNanos()
                let collection = kafka.collect(atMs: now)
                let instance = kafka.client.options.bootstrap
                families += collection.families.map { labelled($0, job: "kafka", instance: instance) }
                metrics.set("strmscope_collect_duration_seconds", ["source": "kafka"], Double(monotonicNanos() - started) / 1e9)
                if let news = collection.news { report(news) }
            }
            for url in options.scrapeURLs {
                families += scrape(url, timeoutMs: min(options.timeoutMs, options.intervalMs), limits: options.scrapeLimits, metrics: metrics,
                                   report: report)
            }
            latest.withLock { $0 = families }
            if let received { families += received.snapshot(nowMs: now) }
            metrics.add("strmscope_export_collections_total", Labels(), 1)
            if let pusher {
                let (request, points) = mapper.request(families, collectedAtMs: now)
                if points > 0 { pusher.enqueue(request, points: points) }
            }
        }

        var nextDue = clock.nowMs()
        while !isStopRequested {
            if clock.nowMs() >= nextDue {
                collect()
                nextDue += options.intervalMs
                // After a stall (suspended process), skip the missed rounds rather than burst.
                if nextDue <= clock.nowMs() { nextDue = clock.nowMs() + options.intervalMs }
            }
            sleepUnlessStopped(ms: Int(max(1, min(250, nextDue - clock.nowMs()))))
        }
        if let pusher {
            collect()
            pusher.shutdown(deadlineMs: options.shutdownTimeoutMs)
            let left = Int(metrics.value("strmscope_export_batches_dropped_total", ["reason": "shutdown"]))
            if left > 0 {
                writeError("strmscope export: \(left) batch(es) not delivered within the \(formatDurationMs(options.shutdownTimeoutMs)) shutdown deadline")
            }
        }
    }

    /// Adds `job`/`instance` to every point that lacks them (as a scrape would).
    static func labelled(_ family: MetricFamily, job: String, instance: String) -> MetricFamily {
        var family = family
        for i in family.points.indices {
            var labels = family.points[i].labels
            if labels["job"] == nil { labels = labels.setting("job", job) }
            if labels["instance"] == nil { labels = labels.setting("instance", instance) }
            family.points[i].labels = labels
        }
        return family
    }

    /// One scrape as families (types kept for OTLP), plus `up` and the scrape's duration.
    static func scrape(_ url: String, timeoutMs: Int64, limits: ScrapeLimits, metrics: SelfMetrics,
                       report: @Sendable (String) -> Void) -> [MetricFamily] {
        let target = ScrapeTarget(url: url, limits: limits)
        let started = monotonicNanos()
        var families: [MetricFamily] = []
        var up = 1.0
        do {
            let response = try HTTPClient.perform(HTTPRequest(
                url: url, headers: [("Accept", Scraper.acceptHeader)], timeoutMs: timeoutMs, maxResponseBytes: limits.bodySizeLimit))
            guard response.status == 200 else { throw CommandError("HTTP status \(response.status)") }
            families = try ExpositionParser.parseFamilies(
                response.body, dialect: expositionDialect(contentType: response.header("content-type")),
                strictness: .prometheusCompatible, file: url)
                .map { labelled($0, job: target.job, instance: target.instance) }
            // The target's limits, as a scrape into a store has them: over one, the target is down.
            let samples = families.reduce(0) { $0 + $1.points.count }
            if samples > limits.sampleLimit { throw CommandError("sample_limit exceeded: \(samples) samples, limit \(limits.sampleLimit)") }
            for family in families {
                for point in family.points {
                    if let violation = limits.violation(point.labels.setting("__name__", point.name)) { throw CommandError(violation) }
                }
            }
        } catch let error as ParseError {
            up = 0
            report("scrape \(url) failed: \(error.headline)")
            metrics.add("strmscope_scrape_failures_total", ["instance": target.instance, "reason": "parse"], 1)
        } catch {
            up = 0
            report("scrape \(url) failed: \(error)")
            // The limit's name (`sample_limit`, `label_limit`, …) or the transport's failure.
            let text = "\(error)"
            let reason = text.range(of: " exceeded").map { String(text[..<$0.lowerBound]) } ?? "request"
            metrics.add("strmscope_scrape_failures_total", ["instance": target.instance, "reason": reason], 1)
        }
        let duration = Double(monotonicNanos() - started) / 1e9
        metrics.set("strmscope_scrape_duration_seconds", ["instance": target.instance], duration)
        var upFamily = MetricFamily(name: "up", type: .gauge, help: "1 when the last scrape of the target succeeded.")
        upFamily.add(["job": target.job, "instance": target.instance], up)
        return (up == 1 ? families : []) + [upFamily]
    }
}
