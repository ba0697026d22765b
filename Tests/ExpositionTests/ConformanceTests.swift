import Foundation
import ScopeCore
import Testing

@testable import Exposition

/// The public corpora in ../shared/conformance (see its README; present in CI, never committed here).
@Suite struct ConformanceTests {
    // MARK: OpenMetrics parser suite

    struct OpenMetricsCase: Sendable, CustomTestStringConvertible {
        let name: String
        let input: [UInt8]
        let shouldParse: Bool
        var testDescription: String { name }
    }

    static let openMetricsCases: [OpenMetricsCase] = {
        let root = conformanceRoot.appendingPathComponent("openmetrics/parsers")
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root.path) else { return [] }
        return names.sorted().compactMap { name in
            let dir = root.appendingPathComponent(name)
            guard let json = readBytes(dir.appendingPathComponent("test.json")),
                  let object = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any],
                  let shouldParse = object["shouldParse"] as? Bool,
                  let file = object["file"] as? String,
                  let input = readBytes(dir.appendingPathComponent(file))
            else { return nil }
            return OpenMetricsCase(name: name, input: input, shouldParse: shouldParse)
        }
    }()

    @Test func theOpenMetricsSuiteIsComplete() {
        #expect(Self.openMetricsCases.count == 211, "expected 211 cases under \(conformanceRoot.path)/openmetrics/parsers")
        #expect(Self.openMetricsCases.filter(\.shouldParse).count == 44)
    }

    /// Each case: accepted iff `shouldParse` (the upstream harness's exit-code rule), through both
    /// the pull parser and the visitor.
    @Test(arguments: openMetricsCases)
    func openMetricsCase(_ c: OpenMetricsCase) throws {
        let error = parseError(c.input, .openMetrics)
        if c.shouldParse {
            #expect(error == nil, "should parse: \(error.map { "\($0)" } ?? "")")
            _ = try visitedSamples(c.input, .openMetrics)
        } else {
            #expect(error != nil, "should be rejected")
            #expect(throws: ParseError.self) { try visitedSamples(c.input, .openMetrics) }
        }
    }

    @Test func openMetricsSuiteSamplesHaveTheRightShape() throws {
        let byName = Dictionary(uniqueKeysWithValues: Self.openMetricsCases.map { ($0.name, $0.input) })
        let timestamps = try ExpositionParser.parseFamilies(try #require(byName["timestamps"]), dialect: .openMetrics)
        #expect(timestamps.map(\.name) == ["a", "b"])
        #expect(timestamps[0].points.map(\.timestampMs) == [0, 0, 1100, Int64.max, 1_500_000])
        #expect(timestamps[1].points == [MetricPoint(name: "b_total", value: 2, timestampMs: 1_234_567_890_000)])

        let escaping = try ExpositionParser.parseFamilies(try #require(byName["escaping"]), dialect: .openMetrics)
        #expect(escaping[0].help == "he\n\\l\\tp")
        #expect(escaping[0].points.map { $0.labels["foo"] } == ["b\"a\nr", "b\\a\\z", "b\"a\nr # ", "b\\a\\z # "])

        let exemplars = try samples(String(decoding: try #require(byName["histogram_exemplars"]), as: UTF8.self), .openMetrics)
        #expect(exemplars.map(\.exemplar?.value) == [0.5, 0.5, 4])
        #expect(exemplars[2].exemplar?.timestampMs == 123_000)
        #expect(exemplars[0].exemplar?.labels == ["a": "b"])

        let unit = try ExpositionParser.parseFamilies(try #require(byName["counter_unit"]), dialect: .openMetrics)
        #expect(unit == [MetricFamily(name: "cc_seconds", type: .counter, help: "A counter", unit: "seconds", points: [
            MetricPoint(name: "cc_seconds_total", value: 1), MetricPoint(name: "cc_seconds_created", value: 123.456),
        ])])
    }

    // MARK: Prometheus text format inputs

    /// Real expositions that must parse; `.om.txt` files are OpenMetrics.
    static let promTextFiles: [String] = [
        "prometheus-textparse/alltypes.237mfs.prom.txt",
        "prometheus-textparse/alltypes.237mfs.nometa.prom.txt",
        "prometheus-textparse/alltypes.5mfs.om.txt",
        "prometheus-textparse/1histogram.om.txt",
        "prometheus-textparse-legacy/promtestdata.txt",
        "prometheus-textparse-legacy/promtestdata.nometa.txt",
        "common-expfmt/text",
    ]

    @Test func everyInputFileIsListed() throws {
        let root = conformanceRoot.appendingPathComponent("prom-text")
        let enumerator = try #require(FileManager.default.enumerator(atPath: root.path))
        var found: [String] = []
        while let path = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path, isDirectory: &isDirectory)
            if isDirectory.boolValue || path.hasSuffix(".md") || path.hasPrefix("common-expfmt/fuzz-corpus/") { continue }
            found.append(path)
        }
        #expect(found.sorted() == Self.promTextFiles.sorted(), "the fuzz corpus has its own test; every other input file is listed here")
    }

    @Test(arguments: promTextFiles)
    func realExpositionParses(_ path: String) throws {
        let bytes = try #require(readBytes(conformanceRoot.appendingPathComponent("prom-text/\(path)")), "missing \(path)")
        let dialect: ExpositionDialect = path.hasSuffix(".om.txt") ? .openMetrics : .prometheusText
        let families = try ExpositionParser.parseFamilies(bytes, dialect: dialect, strictness: .prometheusCompatible)
        #expect(!families.isEmpty)
        #expect(families.allSatisfy { !$0.name.isEmpty })
        if dialect == .prometheusText {
            #expect(families.reduce(0) { $0 + $1.points.count } == (try visitedSamples(bytes, dialect)).count)
        }
        // The specification-strict parse agrees except for the one file Go's client wrote with
        // negative observations (a negative histogram _sum and negative quantiles, which OpenMetrics
        // forbids but Prometheus ingests).
        let strict = parseError(bytes, dialect, .specification)
        if path == "prometheus-textparse/alltypes.5mfs.om.txt" {
            #expect(strict?.message == Message.counterNegative("_sum"))
            #expect(strict?.position.line == 33)
        } else {
            #expect(strict == nil)
        }
    }

    @Test func realExpositionContent() throws {
        let text = try #require(readBytes(conformanceRoot.appendingPathComponent("prom-text/common-expfmt/text")))
        let families = try ExpositionParser.parseFamilies(text, dialect: .prometheusText)
        let rpc = try #require(families.first { $0.name == "http_request_duration_microseconds" })
        #expect(rpc.type == .summary)
        #expect(rpc.points.contains { $0.name == "http_request_duration_microseconds_count" && $0.labels["handler"] == "prometheus" })
        let histogram = try #require(readBytes(conformanceRoot.appendingPathComponent("prom-text/prometheus-textparse/1histogram.om.txt")))
        let h = try ExpositionParser.parseFamilies(histogram, dialect: .openMetrics)
        #expect(h.count == 1 && h[0].type == .histogram)
        #expect(h[0].points.filter { $0.name.hasSuffix("_bucket") && $0.labels["le"] == "+Inf" }.count > 1)
    }

    // MARK: Go's expfmt fuzz corpus with its verdicts

    /// Inputs where we knowingly differ from Go's `expfmt.TextParser`, with the reason. The corpus
    /// in ../shared has none: on all of its 26 files we agree with Go. These are the deliberate
    /// differences that are not in it, each checked here so the list stays true.
    static let deliberateDifferencesFromGo: [(input: String, goAccepts: Bool, weAccept: Bool, reason: String)] = [
        ("# HELP x Windows path C:\\temp\nx 1\n", false, true,
         "lenient like Prometheus's scrape parser: an unknown escape in HELP text is kept as written (\\t stays backslash-t); Go fails the whole scrape over documentation"),
        ("# TYPE x gauge_histogram\nx 1\n", true, false,
         "stricter, as Prometheus's scrape parser: Go looks the type up case-insensitively in its protobuf enum (GAUGE_HISTOGRAM, COUNTER…); the 0.0.4 format has five lowercase types"),
        ("# TYPE x COUNTER\nx 1\n", true, false, "stricter, as above: type names are lowercase"),
    ]

    @Test func deliberateDifferencesFromGoHold() throws {
        for d in Self.deliberateDifferencesFromGo {
            #expect((parseError(d.input, .prometheusText) == nil) == d.weAccept, "\(d.input.debugDescription): \(d.reason)")
            #expect(d.goAccepts != d.weAccept)
        }
        #expect(try single("# HELP x Windows path C:\\temp\nx 1\n").family == "x")
        #expect(try entries("# HELP x C:\\temp\n", .prometheusText) == [.help(metric: "x", text: "C:\\temp")])
    }

    @Test func goFuzzCorpusVerdicts() throws {
        let root = conformanceRoot.appendingPathComponent("prom-text/common-expfmt/fuzz-corpus")
        let json = try #require(readBytes(root.appendingPathComponent("expected.json")), "missing expected.json")
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [String: Bool])
        #expect(expected.count == 26)
        for (name, goAccepts) in expected.sorted(by: { $0.key < $1.key }) {
            let input = try #require(readBytes(root.appendingPathComponent(name)), "missing \(name)")
            let error = parseError(input, .prometheusText)
            #expect((error == nil) == goAccepts, "\(name): Go \(goAccepts ? "accepts" : "rejects"), we \(error == nil ? "accept" : "reject: \(error!)")")
        }
    }

    @Test func goFuzzCorpusAcceptedFilesHaveTheRightContent() throws {
        let root = conformanceRoot.appendingPathComponent("prom-text/common-expfmt/fuzz-corpus")
        let parse2 = try ExpositionParser.parseFamilies(try #require(readBytes(root.appendingPathComponent("from_test_parse_2"))), dialect: .prometheusText)
        #expect(parse2.map(\.name) == ["name", "name2"])
        #expect(parse2[0].help == "two-line\n doc  str\\ing")
        #expect(parse2[1].help == "doc str\"ing 2")
        #expect(parse2[0].points[1] == MetricPoint(name: "name", labels: ["labelname": "val2", "basename": "base\"v\\al\nue"], value: 0.23, timestampMs: 1_234_567_890))
        #expect(parse2[1].points.map(\.value) == [.infinity, -.infinity])
        #expect(parse2[1].points.map(\.timestampMs) == [54321, nil])

        let parse3 = try ExpositionParser.parseFamilies(try #require(readBytes(root.appendingPathComponent("from_test_parse_3"))), dialect: .prometheusText)
        #expect(parse3.map(\.name) == ["my_summary", "decoy", "fake_sum", "another_summary"])
        #expect(parse3[0].points.count == 8, "the summary's samples, interleaved with others, stay in its family")
        #expect(parse3[0].type == .summary)
        #expect(parse3[1].points == [MetricPoint(name: "decoy", value: -1, timestampMs: -2)])
    }
}
