import Collectors
import Foundation
import Gzip
import OTLP
import ScopeCore

/// Pushes OTLP/HTTP batches from a bounded queue on its own thread: one request at a time,
/// retried per `RetryPolicy`. While the collector is down the queue fills and then drops its
/// oldest batches (counted), and the batch being retried is given up once newer ones overflow
/// the queue: memory stays bounded (capacity + the one in flight) and what is delivered when the
/// collector returns is the newest data, oldest of it first.
public final class OTLPPusher: @unchecked Sendable {
    public struct Options: Sendable {
        public var endpoint: String
        public var headers: [(name: String, value: String)] = []
        public var queueCapacity = 64
        public var timeoutMs: Int64 = 10_000
        public var retry = RetryPolicy()

        public init(endpoint: String) { self.endpoint = endpoint }
    }

    public let options: Options
    private let metrics: SelfMetrics
    private let clock: any Clock
    private let report: @Sendable (String) -> Void
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var queue: BoundedBatchQueue
    private var stopping = false
    private var flushDeadlineMs: Int64 = .max
    private var thread: Thread?
    private var finished = false
    private var lastError: String?
    /// Batches the queue dropped when full, ever (guarded by `condition`): a batch being retried
    /// while this grows is older than everything waiting, and is given up for them.
    private var overflowDrops = 0

    public init(options: Options, metrics: SelfMetrics, clock: any Clock = SystemClock(),
                report: @escaping @Sendable (String) -> Void = { _ in }) {
        self.options = options
        self.metrics = metrics
        self.clock = clock
        self.report = report
        self.queue = BoundedBatchQueue(capacity: options.queueCapacity)
        metrics.declare("strmscope_export_queue_depth", type: .gauge, help: "OTLP batches waiting to be pushed.")
        metrics.declare("strmscope_export_queue_capacity", type: .gauge, help: "The most OTLP batches kept waiting (--queue-size).")
        metrics.set("strmscope_export_queue_capacity", Labels(), Double(options.queueCapacity))
        metrics.declare("strmscope_export_requests_total", type: .counter,
                        help: "OTLP push attempts by response status code (\"error\": no response).", labels: [])
        metrics.declare("strmscope_export_points_sent_total", type: .counter, help: "OTLP data points delivered.")
        metrics.declare("strmscope_export_batches_dropped_total", type: .counter,
                        help: "OTLP batches dropped, by reason (queue_full, rejected, retries_exhausted, shutdown).",
                        labels: [["reason": "queue_full"]])
        metrics.declare("strmscope_export_points_dropped_total", type: .counter, help: "OTLP data points in dropped batches.")
        metrics.declare("strmscope_export_push_duration_seconds", type: .gauge, help: "Duration of the last OTLP push attempt.")
    }

    /// The endpoint as OTLP exporters take it: a URL without a path gets `/v1/metrics`.
    public static func metricsURL(_ endpoint: String) -> String {
        guard let schemeEnd = endpoint.range(of: "://") else { return endpoint }
        let rest = endpoint[schemeEnd.upperBound...]
        if let slash = rest.firstIndex(of: "/"), rest[slash...] != "/" { return endpoint }
        return endpoint.hasSuffix("/") ? endpoint + "v1/metrics" : endpoint + "/v1/metrics"
    }

    public func start() {
        let thread = Thread { [self] in run() }
        thread.name = "strmscope-otlp-push"
        self.thread = thread
        thread.start()
    }

    /// Queues the request built from one collection (dropping the oldest batch when full).
    public func enqueue(_ request: ExportMetricsServiceRequest, points: Int) {
        let bytes: [UInt8] = (try? request.serializedBytes()) ?? []
        let batch = ExportBatch(body: Gzip.compress(bytes), points: points, createdAtMs: clock.nowMs())
        condition.lock()
        let dropped = stopping ? nil : queue.push(batch)
        if dropped != nil { overflowDrops += 1 }
        let depth = queue.count
        condition.signal()
        condition.unlock()
        metrics.set("strmscope_export_queue_depth", Labels(), Double(depth))
        if let dropped { countDropped(dropped, reason: "queue_full") }
    }

    public var queueDepth: Int {
        condition.lock()
        defer { condition.unlock() }
        return queue.count
    }

    /// Stops accepting batches and tries to deliver what is queued until `deadlineMs` from now;
    /// returns how many batches were still undelivered (and counted as dropped).
    @discardableResult
    public func shutdown(deadlineMs: Int64) -> Int {
        condition.lock()
        stopping = true
        flushDeadlineMs = clock.nowMs() + deadlineMs
        condition.broadcast()
        let until = Date(timeIntervalSinceNow: Double(deadlineMs) / 1000 + 1)
        while !finished && condition.wait(until: until) {}
        let left = queue.removeAll()
        condition.unlock()
        for batch in left { countDropped(batch, reason: "shutdown") }
        metrics.set("strmscope_export_queue_depth", Labels(), 0)
        return left.count
    }

    private func run() {
        while let batch = next() {
            deliver(batch)
        }
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// The next batch, waiting for one; nil once stopping and the queue is empty.
    private func next() -> ExportBatch? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && !stopping { condition.wait() }
        let batch = queue.popFirst()
        metrics.set("strmscope_export_queue_depth", Labels(), Double(queue.count))
        return batch
    }

    private func deliver(_ batch: ExportBatch) {
        let firstAttemptMs = clock.nowMs()
        let dropsWhenTaken = locked { overflowDrops }
        var attempt = 0
        while true {
            attempt += 1
            let started = clock.nowMs()
            var status: Int?
            var retryAfter: String?
            do {
                let response = try HTTPClient.perform(HTTPRequest(
                    url: options.endpoint, method: "POST",
                    headers: [("Content-Type", "application/x-protobuf"), ("Content-Encoding", "gzip")] + options.headers,
                    body: batch.body, timeoutMs: options.timeoutMs, maxResponseBytes: 1 << 20))
                status = response.status
                retryAfter = response.header("retry-after")
                if !(200..<300).contains(response.status) {
                    noteError("\(options.endpoint) answered \(response.status): \(String(decoding: response.body.prefix(200), as: UTF8.self))")
                }
            } catch {
                noteError("\(error)")
            }
            let now = clock.nowMs()
            metrics.set("strmscope_export_push_duration_seconds", Labels(), Double(now - started) / 1000)
            metrics.add("strmscope_export_requests_total", ["code": status.map(String.init) ?? "error"], 1)
            switch RetryPolicy.outcome(status: status, retryAfter: retryAfter, nowMs: now) {
            case .delivered:
                metrics.add("strmscope_export_points_sent_total", Labels(), Double(batch.points))
                if lastError != nil {
                    report("export: delivering to \(options.endpoint) again")
                    lastError = nil
                }
                return
            case .rejected:
                countDropped(batch, reason: "rejected")
                return
            case .retry(let retryAfterMs):
                let wait = options.retry.backoffMs(attempt: attempt, retryAfterMs: retryAfterMs, random: Double.random(in: 0..<1))
                if now + wait - firstAttemptMs > options.retry.maxElapsedMs {
                    countDropped(batch, reason: "retries_exhausted")
                    return
                }
                guard sleep(ms: wait) else {
                    countDropped(batch, reason: "shutdown")
                    return
                }
                // The queue overflowed meanwhile: newer data is waiting, this batch is the oldest.
                if locked({ overflowDrops }) != dropsWhenTaken {
                    countDropped(batch, reason: "queue_full")
                    return
                }
            }
        }
    }

    /// Waits `ms`, cut short by a shutdown; false when the shutdown deadline passes first.
    private func sleep(ms: Int64) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        let wakeMs = clock.nowMs() + ms
        while clock.nowMs() < wakeMs {
            if stopping && clock.nowMs() + (wakeMs - clock.nowMs()) > flushDeadlineMs { return false }
            _ = condition.wait(until: Date(timeIntervalSinceNow: Double(wakeMs - clock.nowMs()) / 1000))
        }
        return !(stopping && clock.nowMs() > flushDeadlineMs)
    }

    private func locked<T>(_ body: () -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body()
    }

    private func noteError(_ message: String) {
        // One line per change of error, not per retry: an outage must not flood the log.
        if message != lastError { report("export: push failed (will retry or drop per policy): \(message)") }
        lastError = message
    }

    private func countDropped(_ batch: ExportBatch, reason: String) {
        metrics.add("strmscope_export_batches_dropped_total", ["reason": reason], 1)
        metrics.add("strmscope_export_points_dropped_total", Labels(), Double(batch.points))
    }
}
