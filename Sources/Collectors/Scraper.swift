import Exposition
import Foundation
import ScopeCore
import SeriesStore

/// Prometheus's per-target scrape limits (`sample_limit`, `label_limit`,
/// `label_name_length_limit`, `label_value_length_limit`, `body_size_limit`), always on here with
/// sane defaults: a target over any of them fails its own scrape (`up 0` with the reason) and
/// no other target is affected.
public struct ScrapeLimits: Sendable, Equatable {
    public var sampleLimit = 200_000
    public var labelLimit = 64
    public var labelNameLengthLimit = 1024
    public var labelValueLengthLimit = 16 * 1024
    public var bodySizeLimit = 32 << 20

    public init() {}

    /// The first limit `labels` (the target's labels included) break, worded as Prometheus does.
    public func violation(_ labels: Labels) -> String? {
        let metric = String((labels["__name__"] ?? "").prefix(50))
        if labels.count > labelLimit {
            return "label_limit exceeded (metric: \(metric), number of labels: \(labels.count), limit: \(labelLimit))"
        }
        for pair in labels {
            if pair.name.utf8.count > labelNameLengthLimit {
                return "label_name_length_limit exceeded (metric: \(metric), label name: \(pair.name.prefix(50)), length: \(pair.name.utf8.count), limit: \(labelNameLengthLimit))"
            }
            if pair.value.utf8.count > labelValueLengthLimit {
                return "label_value_length_limit exceeded (metric: \(metric), label name: \(pair.name.prefix(50)), value: \"\(pair.value.prefix(50))\", length: \(pair.value.utf8.count), limit: \(labelValueLengthLimit))"
            }
        }
        return nil
    }
}

/// A scrape over one of its limits.
struct ScrapeLimitExceeded: Error, CustomStringConvertible {
    var description: String
}

/// One `/metrics` endpoint to scrape.
public struct ScrapeTarget: Sendable, Equatable {
    public var url: String
    public var job: String
    /// `host:port` of the URL unless set.
    public var instance: String
    public var intervalMs: Int64
    public var timeoutMs: Int64
    public var limits: ScrapeLimits

    public init(url: String, job: String = "scrape", instance: String? = nil, intervalMs: Int64 = 15_000, timeoutMs: Int64 = 10_000,
                limits: ScrapeLimits = ScrapeLimits()) {
        self.url = url
        self.job = job
        self.instance = instance ?? ScrapeTarget.instance(of: url)
        self.intervalMs = intervalMs
        self.timeoutMs = min(timeoutMs, intervalMs)
        self.limits = limits
    }

    /// `host:port` of an http(s) URL, as Prometheus's `instance` label.
    static func instance(of url: String) -> String {
        guard let components = URLComponents(string: url), let host = components.host else { return url }
        let port = components.port ?? (components.scheme == "https" ? 443 : 80)
        return "\(host):\(port)"
    }

    var targetLabels: Labels { ["job": job, "instance": instance] }
}

/// What one scrape did.
public struct ScrapeOutcome: Sendable, Equatable {
    public var up: Bool
    public var samples: Int
    public var durationSeconds: Double
    /// Why the target is down (transport error, HTTP status, parse error with its position).
    public var error: String?
}

/// Scrapes targets into the store as Prometheus does: `Accept` preferring OpenMetrics, the body's
/// content type choosing the parser, `job`/`instance` labels, synthetic `up`,
/// `scrape_duration_seconds` and `scrape_samples_scraped`, staleness markers for series that
/// disappear. A target that is down or returns garbage gets `up 0` and a log line saying why;
/// the others are not affected.
public final class Scraper: Sendable {
    /// What Prometheus 2.42 sends.
    public static let acceptHeader =
        "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"

    public let store: SeriesStore
    private let report: @Sendable (String) -> Void

    /// `report` receives one line per failed scrape (or recovery), for the log.
    public init(store: SeriesStore, report: @escaping @Sendable (String) -> Void = { _ in }) {
        self.store = store
        self.report = report
    }

    private func key(_ target: ScrapeTarget) -> String { "scrape:\(target.job):\(target.url)" }

    /// The target is no longer scraped: its series end now (staleness markers).
    public func remove(_ target: ScrapeTarget, atMs timestampMs: Int64) {
        store.removeTarget(targetKey: key(target), timestampMs: timestampMs)
    }

    /// Scrapes `target` once, stamping samples without their own timestamp with `timestampMs`.
    @discardableResult
    public func scrape(_ target: ScrapeTarget, atMs timestampMs: Int64) -> ScrapeOutcome {
        let started = monotonicNanos()
        var samples: [ScrapedSample] = []
        var failure: String?
        do {
            let response = try HTTPClient.perform(HTTPRequest(
                url: target.url, headers: [("Accept", Self.acceptHeader)], timeoutMs: target.timeoutMs,
                maxResponseBytes: target.limits.bodySizeLimit))
            if response.status != 200 {
                failure = "HTTP status \(response.status)"
            } else {
                var parser = ExpositionParser(
                    response.body, contentType: response.header("Content-Type"), strictness: .prometheusCompatible, file: target.url)
                let targetLabels = target.targetLabels
                let limits = target.limits
                var exceeded: String?
                try parser.forEachSample { sample in
                    guard exceeded == nil else { return }
                    guard samples.count < limits.sampleLimit else {
                        exceeded = "sample_limit exceeded: more than \(limits.sampleLimit) samples"
                        return
                    }
                    let scraped = ScrapedSample(sample.point, targetLabels: targetLabels)
                    exceeded = limits.violation(scraped.labels)
                    if exceeded == nil { samples.append(scraped) }
                }
                if let exceeded { throw ScrapeLimitExceeded(description: exceeded) }
            }
        } catch let error as ParseError {
            failure = error.headline
        } catch {
            failure = "\(error)"
        }
        let duration = Double(monotonicNanos() - started) / 1e9
        let key = key(target)
        if let failure {
            // Down: every series it exposed ends now (staleness), except the synthetic ones below.
            samples = []
            report("scrape \(target.url) (job \(target.job)) failed: \(failure)")
            store.markTargetDown(targetKey: key, timestampMs: timestampMs)
        }
        var scraped = samples.count
        if failure == nil, let refused = store.ingestScrape(targetKey: key, samples: samples, timestampMs: timestampMs).refused {
            failure = refused
            scraped = 0
            report("scrape \(target.url) (job \(target.job)) failed: \(refused)")
            store.markTargetDown(targetKey: key, timestampMs: timestampMs)
        }
        // The synthetic series are written for every scrape, up or down, outside the target's
        // staleness tracking (as Prometheus's report samples).
        let synthetic: [(String, Double)] = [
            ("up", failure == nil ? 1 : 0), ("scrape_duration_seconds", duration), ("scrape_samples_scraped", Double(scraped)),
        ]
        for (name, value) in synthetic {
            _ = try? store.append(target.targetLabels.setting("__name__", name), timestampMs: timestampMs, value: value, reserved: true)
        }
        return ScrapeOutcome(up: failure == nil, samples: scraped, durationSeconds: duration, error: failure)
    }
}
