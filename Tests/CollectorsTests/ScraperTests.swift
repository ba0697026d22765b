import Foundation
import ScopeCore
import SeriesStore
import Synchronization
import Testing

@testable import Collectors

@Suite(.serialized) struct ScraperTests {
    func values(_ store: SeriesStore, _ name: String, _ extra: [LabelMatcher] = []) throws -> [String: [Double]] {
        let series = try store.select([try LabelMatcher("__name__", .equal, name)] + extra, minMs: 0, maxMs: .max)
        return Dictionary(uniqueKeysWithValues: series.map { ($0.labels["instance"] ?? "", $0.samples.map(\.value)) })
    }

    @Test func scrapesPrometheusTextWithTargetLabelsAndSyntheticSeries() throws {
        let body = """
            # HELP kafka_consumergroup_lag Current Approximate Lag of a ConsumerGroup at Topic/Partition
            # TYPE kafka_consumergroup_lag gauge
            kafka_consumergroup_lag{consumergroup="billing",partition="0",topic="orders"} 42
            kafka_consumergroup_lag{consumergroup="billing",partition="1",topic="orders"} 7

            """
        let server = try TestHTTPServer(routes: ["/metrics": .init(headers: [("Content-Type", "text/plain; version=0.0.4")], body: Array(body.utf8))])
        defer { server.stop() }
        let store = SeriesStore(clock: ManualClock())
        // A generous timeout: a loaded machine (parallel test runs) must not fail the scrape.
        let target = ScrapeTarget(url: server.baseURL + "/metrics", job: "kafka", intervalMs: 120_000, timeoutMs: 120_000)
        let outcome = Scraper(store: store).scrape(target, atMs: 1_000)
        #expect(outcome.up && outcome.samples == 2 && outcome.error == nil)
        let lag = try store.select([try LabelMatcher("__name__", .equal, "kafka_consumergroup_lag")], minMs: 0, maxMs: .max)
        #expect(Set(lag.map { $0.labels["partition"]! }) == ["0", "1"])
        #expect(lag.allSatisfy { $0.labels["job"] == "kafka" && $0.labels["instance"] == "127.0.0.1:\(server.port)" })
        #expect(try values(store, "up") == [target.instance: [1]])
        #expect(try values(store, "scrape_samples_scraped") == [target.instance: [2]])
        #expect(server.requests.first?.contains("Accept: application/openmetrics-text;version=1.0.0") == true)
    }

    /// Prometheus's per-target limits: a target over one fails its own scrape, with the reason,
    /// and the other targets of the same scraper and store go on.
    @Test func aTargetOverItsLimitsFailsAloneWithTheReason() throws {
        let many = (0..<11).map { "m{i=\"\($0)\"} 1" }.joined(separator: "\n") + "\n"
        let long = "m{v=\"" + String(repeating: "x", count: 20_000) + "\"} 1\n"
        let wide = "m{" + (0..<70).map { "l\($0)=\"v\"" }.joined(separator: ",") + "} 1\n"
        let server = try TestHTTPServer(routes: [
            "/many": .init(body: Array(many.utf8)), "/long": .init(body: Array(long.utf8)), "/wide": .init(body: Array(wide.utf8)),
            "/good": .init(body: Array("ok 1\n".utf8)),
        ])
        defer { server.stop() }
        let store = SeriesStore(clock: ManualClock())
        let lines = Mutex<[String]>([])
        let scraper = Scraper(store: store) { line in lines.withLock { $0.append(line) } }
        var limits = ScrapeLimits()
        limits.sampleLimit = 10
        var outcomes: [String: ScrapeOutcome] = [:]
        for name in ["many", "long", "wide", "good"] {
            outcomes[name] = scraper.scrape(ScrapeTarget(url: server.baseURL + "/" + name, instance: name, limits: limits), atMs: 1_000)
        }
        #expect(outcomes["many"]?.error == "sample_limit exceeded: more than 10 samples")
        #expect(outcomes["long"]?.error?.hasPrefix("label_value_length_limit exceeded (metric: m, label name: v, value: \"xxx") == true)
        #expect(outcomes["long"]?.error?.hasSuffix("length: 20000, limit: 16384)") == true)
        #expect(outcomes["wide"]?.error?.hasPrefix("label_limit exceeded (metric: m, number of labels: 73, limit: 64)") == true)
        #expect(try values(store, "up") == ["many": [0], "long": [0], "wide": [0], "good": [1]])
        #expect(try values(store, "scrape_samples_scraped") == ["many": [0], "long": [0], "wide": [0], "good": [1]],
                "a refused scrape stores nothing: not one sample of it, and says so")
        #expect(try store.select([try LabelMatcher("__name__", .equal, "m")], minMs: 0, maxMs: .max).isEmpty)
        #expect(lines.withLock { $0 }.count == 3)
    }

    /// The store's series limit is shared: a scrape that would take it past the limit is refused
    /// whole, so the targets already there keep their series and every target keeps its `up`.
    @Test func aTargetThatWouldFillTheStoreIsRefusedWholeAndOthersKeepTheirSeries() throws {
        let big = (0..<150).map { "big{i=\"\($0)\"} 1" }.joined(separator: "\n") + "\n"
        let server = try TestHTTPServer(routes: ["/big": .init(body: Array(big.utf8)), "/legit": .init(body: Array("lag 29.7\n".utf8))])
        defer { server.stop() }
        var options = StoreOptions()
        options.maxSeries = 100
        let store = SeriesStore(options: options, clock: ManualClock())
        let scraper = Scraper(store: store)
        let legit = ScrapeTarget(url: server.baseURL + "/legit", instance: "legit")
        let runaway = ScrapeTarget(url: server.baseURL + "/big", instance: "big")
        #expect(scraper.scrape(legit, atMs: 1_000).up)
        let refused = scraper.scrape(runaway, atMs: 1_000)
        #expect(!refused.up && refused.error?.contains("over the series limit of 100") == true, "\(String(describing: refused.error))")
        #expect(scraper.scrape(legit, atMs: 2_000).up)
        #expect(try values(store, "lag") == ["legit": [29.7, 29.7]])
        #expect(try values(store, "up") == ["legit": [1, 1], "big": [0]])
        #expect(try store.select([try LabelMatcher("__name__", .equal, "big")], minMs: 0, maxMs: .max).isEmpty)
    }

    @Test func openMetricsIsParsedAsOpenMetrics() throws {
        let body = "# TYPE events counter\nevents_total 5 1.5\n# EOF\n"
        let server = try TestHTTPServer(routes: [
            "/m": .init(headers: [("Content-Type", "application/openmetrics-text; version=1.0.0; charset=utf-8")], body: Array(body.utf8))
        ])
        defer { server.stop() }
        let store = SeriesStore(clock: ManualClock())
        #expect(Scraper(store: store).scrape(ScrapeTarget(url: server.baseURL + "/m"), atMs: 9_000).up)
        let series = try store.select([try LabelMatcher("__name__", .equal, "events_total")], minMs: 0, maxMs: .max)
        // The exposed timestamp (1.5 s) is honoured.
        #expect(series.first?.samples == [Sample(timestampMs: 1_500, value: 5)])
    }

    @Test func garbageOrDownTargetsAreUpZeroWithAReasonAndOthersKeepGoing() throws {
        let server = try TestHTTPServer(routes: [
            "/good": .init(body: Array("ok_metric 1\n".utf8)),
            "/garbage": .init(body: Array("this is { not metrics\n".utf8)),
            "/error": .init(status: 500, body: Array("boom".utf8)),
        ])
        defer { server.stop() }
        let store = SeriesStore(clock: ManualClock())
        let lines = Mutex<[String]>([])
        let scraper = Scraper(store: store) { line in lines.withLock { $0.append(line) } }
        let good = ScrapeTarget(url: server.baseURL + "/good", instance: "good")
        let garbage = ScrapeTarget(url: server.baseURL + "/garbage", instance: "garbage")
        let failing = ScrapeTarget(url: server.baseURL + "/error", instance: "error")
        let closed = try TestHTTPServer(routes: [:])
        let down = ScrapeTarget(url: closed.baseURL + "/metrics", instance: "down", timeoutMs: 2000)
        closed.stop()
        for target in [good, garbage, failing, down] { scraper.scrape(target, atMs: 1_000) }
        #expect(try values(store, "up") == ["good": [1], "garbage": [0], "error": [0], "down": [0]])
        let log = lines.withLock { $0 }
        #expect(log.count == 3)
        #expect(log.contains { $0.contains("/garbage") && $0.contains("1:") }, "the parse error is positioned: \(log)")
        #expect(log.contains { $0.contains("/error") && $0.contains("HTTP status 500") })
        #expect(log.contains { $0.contains("/metrics") && $0.lowercased().contains("connect") })
    }

    @Test func aTargetThatGoesDownEndsItsSeriesWithStalenessMarkers() throws {
        let server = try TestHTTPServer(routes: ["/a": .init(body: Array("x{k=\"1\"} 1\nx{k=\"2\"} 2\n".utf8))])
        let store = SeriesStore(clock: ManualClock())
        let scraper = Scraper(store: store)
        let target = ScrapeTarget(url: server.baseURL + "/a", instance: "t")
        scraper.scrape(target, atMs: 1_000)
        server.stop()
        scraper.scrape(target, atMs: 16_000)
        let series = try store.select([try LabelMatcher("__name__", .equal, "x")], minMs: 0, maxMs: .max)
        #expect(series.count == 2)
        #expect(series.allSatisfy { $0.samples.last?.value.isStaleMarker == true && $0.samples.last?.timestampMs == 16_000 })
    }

    @Test func instanceDefaultsToHostAndPort() {
        #expect(ScrapeTarget(url: "http://kafka-exporter:9308/metrics").instance == "kafka-exporter:9308")
        #expect(ScrapeTarget(url: "https://example.com/metrics").instance == "example.com:443")
    }
}
