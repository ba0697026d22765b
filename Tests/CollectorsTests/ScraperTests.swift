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
        let target = ScrapeTarget(url: server.baseURL + "/metrics", job: "kafka")
        let outcome = Scraper(store: store).scrape(target, atMs: 1_000)
        #expect(outcome.up && outcome.samples == 2 && outcome.error == nil)
        let lag = try store.select([try LabelMatcher("__name__", .equal, "kafka_consumergroup_lag")], minMs: 0, maxMs: .max)
        #expect(Set(lag.map { $0.labels["partition"]! }) == ["0", "1"])
        #expect(lag.allSatisfy { $0.labels["job"] == "kafka" && $0.labels["instance"] == "127.0.0.1:\(server.port)" })
        #expect(try values(store, "up") == [target.instance: [1]])
        #expect(try values(store, "scrape_samples_scraped") == [target.instance: [2]])
        #expect(server.requests.first?.contains("Accept: application/openmetrics-text;version=1.0.0") == true)
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
