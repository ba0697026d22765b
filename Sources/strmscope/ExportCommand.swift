import ArgumentParser
import Exporter
import ScopeCore
import StrmScopeApp

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Sidecar: push what strmscope collects as OTLP/HTTP metrics and serve it on /metrics.",
        discussion: """
            Every --interval the sources are collected: --log samples an embedded log, --scrape \
            fetches /metrics URLs, --kafka reads a Kafka cluster directly (kafka_exporter's series, \
            plus group state and rebalance counts), --otlp-listen receives OTLP pushed by instrumented services \
            (mapped to Prometheus series by OpenTelemetry's compatibility rules). The result is \
            served on --listen at /metrics (Prometheus text, or OpenMetrics when asked for), with \
            strmscope's own metrics (queue depth, dropped batches and points, OTLP requests by \
            status, scrape durations); /healthz answers while the process runs, /readyz once the \
            first collection is done.

            With --otlp-endpoint the collection is also pushed as one OTLP/HTTP protobuf request \
            (gzip) per interval. Failed pushes are retried with exponential backoff and jitter \
            (Retry-After honoured on 429/503); while the collector is down at most --queue-size \
            batches wait and the oldest are dropped (counted), so memory stays bounded and what \
            is delivered when it returns is the newest data. SIGINT/SIGTERM flush the queue for \
            at most --shutdown-timeout.

            Examples:
              strmscope export --log /tmp/demo --otlp-endpoint http://collector:4318
              strmscope export --scrape http://localhost:9308/metrics \\
                --otlp-endpoint https://otlp.example.com/v1/metrics \\
                --header "Authorization=Bearer $TOKEN" \\
                --resource deployment.environment=prod
              strmscope export --otlp-listen 127.0.0.1:4318 --listen 127.0.0.1:9464
              strmscope export --kafka 10.0.0.5:9092 --listen 0.0.0.0:9464
            """)

    @Option(name: .customLong("log"), help: ArgumentHelp("An embedded log directory to read (read-only).", valueName: "dir"))
    var logDirectory: String?

    @Option(name: .customLong("scrape"), help: ArgumentHelp("A /metrics URL to scrape every interval (repeatable).", valueName: "url"))
    var scrapeURLs: [String] = []

    @OptionGroup(title: "Kafka cluster (read directly every interval)")
    var kafka: KafkaSourceOptions

    @OptionGroup(title: "Scrape limits (per target)")
    var scrapeLimits: ScrapeLimitOptions

    @OptionGroup(title: "OTLP receiver")
    var otlp: OTLPReceiverOptions

    @Option(name: .customLong("otlp-endpoint"), help: ArgumentHelp(
        "Push OTLP/HTTP here (a URL without a path gets /v1/metrics). Without it, only /metrics is served.", valueName: "url"))
    var endpoint: String?

    @Option(help: ArgumentHelp("Collection and push interval (default 15s).", valueName: "duration"))
    var interval: String = "15s"

    @Option(name: .customLong("resource"), help: ArgumentHelp("A resource attribute KEY=VALUE on every pushed resource (repeatable).", valueName: "key=value"))
    var resource: [String] = []

    @Option(name: .customLong("header"), help: ArgumentHelp("An HTTP header NAME=VALUE on every push (repeatable).", valueName: "name=value"))
    var headers: [String] = []

    @Option(name: .customLong("queue-size"), help: ArgumentHelp("Batches kept while the collector is unreachable (default 64).", valueName: "n"))
    var queueSize: Int = 64

    @Option(help: ArgumentHelp("Serve /metrics, /healthz and /readyz here (default 127.0.0.1:9464).", valueName: "host:port"))
    var listen: String = "127.0.0.1:9464"

    @Option(help: ArgumentHelp("Deadline of one push or scrape (default 10s; a scrape gets at most --interval).", valueName: "duration"))
    var timeout: String = "10s"

    @Option(name: .customLong("shutdown-timeout"), help: ArgumentHelp("How long SIGTERM waits to flush the queue (default 5s).", valueName: "duration"))
    var shutdownTimeout: String = "5s"

    func validate() throws {
        if logDirectory == nil && scrapeURLs.isEmpty && otlp.listen == nil && kafka.bootstrap == nil {
            throw ValidationError("name a source: --log DIR, --scrape URL, --kafka HOST:PORT or --otlp-listen HOST:PORT")
        }
        guard let ms = parseDurationMs(interval), ms >= 100 else { throw ValidationError("--interval: \"\(interval)\" is not a duration of at least 100ms") }
        for (flag, value) in [("--timeout", timeout), ("--shutdown-timeout", shutdownTimeout)] {
            guard let ms = parseDurationMs(value), ms > 0 else { throw ValidationError("\(flag): \"\(value)\" is not a positive duration (examples: 10s, 500ms)") }
        }
        for url in scrapeURLs + [endpoint].compactMap({ $0 }) where !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            throw ValidationError("\"\(url)\" is not an http:// or https:// URL")
        }
        if ListenAddress(listen) == nil { throw ValidationError("--listen: \"\(listen)\" is not host:port (example: 127.0.0.1:9464)") }
        guard queueSize >= 1 else { throw ValidationError("--queue-size must be at least 1") }
        for (flag, values) in [("--resource", resource), ("--header", headers)] {
            for value in values where !value.contains("=") || value.hasPrefix("=") {
                throw ValidationError("\(flag) takes KEY=VALUE, not \"\(value)\"")
            }
        }
    }

    func run() throws {
        var options = ExportOptions()
        options.logDirectory = logDirectory
        options.scrapeURLs = scrapeURLs
        options.otlpListen = otlp.address
        options.endpoint = endpoint
        options.intervalMs = parseDurationMs(interval)!
        options.timeoutMs = parseDurationMs(timeout)!
        options.kafka = try kafka.options(timeoutMs: Int(min(options.timeoutMs, options.intervalMs)))
        options.shutdownTimeoutMs = parseDurationMs(shutdownTimeout)!
        options.queueSize = queueSize
        options.scrapeLimits = scrapeLimits.limits
        options.listen = ListenAddress(listen)!
        options.resource = resource.map(splitPair).map { (key: $0.0, value: $0.1) }
        options.headers = headers.map(splitPair).map { (name: $0.0, value: $0.1) }
        do {
            options.receiver = try otlp.receiverOptions()
            try ExportRunner.run(options)
        } catch let error as ValidationError {
            throw error
        } catch {
            writeError("strmscope: error: \(error)")
            throw ExitStatus.error
        }
    }

    private func splitPair(_ text: String) -> (String, String) {
        let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        return (parts[0], parts.count > 1 ? parts[1] : "")
    }
}
