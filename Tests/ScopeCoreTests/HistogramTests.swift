import Testing

@testable import ScopeCore

@Suite struct HistogramTests {
    @Test func pointsAreCumulativeWithInfAndSumAndCount() {
        var histogram = Histogram(upperBounds: [0.1, 0.5, 1, 2.5])
        for value in [0.05, 0.1, 0.3, 0.7, 0.7, 3, 100] { histogram.observe(value) }
        let points = histogram.points(name: "latency_seconds", labels: ["job": "api"])
        let buckets = points.filter { $0.name == "latency_seconds_bucket" }
        #expect(buckets.map { $0.labels["le"]! } == ["0.1", "0.5", "1", "2.5", "+Inf"])
        // The bound is inclusive: 0.1 lands in le="0.1".
        #expect(buckets.map(\.value) == [2, 3, 5, 5, 7])
        #expect(buckets.allSatisfy { $0.labels["job"] == "api" })
        let sum = points.first { $0.name == "latency_seconds_sum" }
        let count = points.first { $0.name == "latency_seconds_count" }
        #expect(abs(sum!.value - 104.85) < 1e-9)
        #expect(sum?.labels == ["job": "api"])
        #expect(count?.value == 7)
        #expect(points.count == 7)
        #expect(histogram.count == 7)
    }

    @Test func emptyHistogramExposesZeroes() {
        let points = Histogram(upperBounds: [1]).points(name: "h", labels: Labels())
        #expect(points.map(\.value) == [0, 0, 0, 0])
        #expect(points.map(\.name) == ["h_bucket", "h_bucket", "h_sum", "h_count"])
    }

    @Test func mergingAddsBucketsSumsAndCounts() {
        var a = Histogram(upperBounds: Histogram.latencySeconds)
        var b = Histogram(upperBounds: Histogram.latencySeconds)
        a.observe(0.00003)
        a.observe(0.2)
        b.observe(0.2)
        b.observe(20)
        let merged = a.merged(with: b)
        #expect(merged.count == 4)
        #expect(abs(merged.sum - 20.40003) < 1e-9)
        let buckets = merged.points(name: "x", labels: Labels()).filter { $0.name == "x_bucket" }
        #expect(buckets.first?.labels["le"] == "5e-05")
        #expect(buckets.first?.value == 1)
        #expect(buckets.first { $0.labels["le"] == "0.25" }?.value == 3)
        #expect(buckets.last?.value == 4)
    }

    @Test func boundsFormatLikePrometheusClients() {
        #expect(formatBound(0.005) == "0.005")
        #expect(formatBound(1) == "1")
        #expect(formatBound(2.5) == "2.5")
        #expect(formatBound(10) == "10")
        #expect(formatBound(.infinity) == "+Inf")
        #expect(formatBound(0.00005) == "5e-05")
    }

    @Test func nanPointsCompareEqual() {
        #expect(MetricPoint(name: "x", value: .nan) == MetricPoint(name: "x", value: .nan))
        #expect(MetricPoint(name: "x", value: .nan) != MetricPoint(name: "x", value: 0))
        #expect(MetricPoint(name: "x", value: 1, timestampMs: 5) != MetricPoint(name: "x", value: 1))
    }

    @Test func familyAddAppendsPointsNamedAfterIt() {
        var family = MetricFamily(name: "up", type: .gauge, help: "up")
        family.add(["job": "a"], 1)
        family.add(["job": "b"], 0)
        #expect(family.points == [MetricPoint(name: "up", labels: ["job": "a"], value: 1), MetricPoint(name: "up", labels: ["job": "b"], value: 0)])
    }
}
