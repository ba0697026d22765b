import Foundation
import ScopeCore
import Synchronization
import Testing

@testable import StrmScopeApp

@Suite struct QueryRunnerTests {
    func file(_ text: String, _ name: String = #function) throws -> String {
        let path = scratchDirectory(name) + "/data.om"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    let data = """
        # TYPE requests counter
        requests_total{job="api",code="200"} 0 1700000000
        requests_total{job="api",code="200"} 60 1700000060
        requests_total{job="api",code="200"} 120 1700000120
        requests_total{job="api",code="500"} 0 1700000000
        requests_total{job="api",code="500"} 6 1700000060
        requests_total{job="api",code="500"} 12 1700000120
        # EOF

        """

    /// `(no series)` on a file whose samples are older than the lookback says why, and what to ask.
    @Test func anEmptyAnswerOverAnOldFileSaysWhereItsSamplesAre() throws {
        var options = QueryOptions(expression: "requests_total")
        options.files = [try file(data)]
        let reports = Mutex<[String]>([])
        let output = CollectingOutput()
        try QueryRunner.run(options, clock: ManualClock(startMs: 1_800_000_000_000), output: output,
                            report: { line in reports.withLock { $0.append(line) } })
        #expect(output.text == "(no series)\n")
        let hint = try #require(reports.withLock { $0 }.first)
        #expect(hint.contains("span 2023-11-14T22:13:20.000Z to 2023-11-14T22:15:20.000Z"), "\(hint)")
        #expect(hint.contains("try --time 1700000120"), "\(hint)")
        // Inside the lookback there is an answer and no hint.
        reports.withLock { $0 = [] }
        try QueryRunner.run(options, clock: ManualClock(startMs: 1_700_000_200_000), output: CollectingOutput(),
                            report: { line in reports.withLock { $0.append(line) } })
        #expect(reports.withLock { $0 }.isEmpty)
    }

    @Test func rangeQueryOnAFilePrintsThePrometheusAPIShape() throws {
        var options = QueryOptions(expression: "sum by (job) (rate(requests_total[2m]))")
        options.files = [try file(data)]
        options.range = (1_700_000_060_000, 1_700_000_120_000, 60_000)
        options.json = true
        let output = CollectingOutput()
        try QueryRunner.run(options, clock: ManualClock(startMs: 1_700_000_200_000), output: output)
        let object = try JSONSerialization.jsonObject(with: Data(output.text.utf8)) as! [String: Any]
        #expect(object["status"] as? String == "success")
        let payload = object["data"] as! [String: Any]
        #expect(payload["resultType"] as? String == "matrix")
        let result = payload["result"] as! [[String: Any]]
        #expect(result.count == 1)
        #expect(result[0]["metric"] as? [String: String] == ["job": "api"])
        let values = result[0]["values"] as! [[Any]]
        #expect(values.map { $0[0] as! Double } == [1_700_000_060, 1_700_000_120])
        // 66 requests a minute over both codes: 1.1/s once the 2m window holds two minutes; at the
        // first step only one minute of data, which rate does not extrapolate past the counter's zero.
        let rates = values.map { Double($0[1] as! String)! }
        #expect(rates.count == 2 && abs(rates[0] - 0.55) < 1e-9 && abs(rates[1] - 1.1) < 1e-9, "\(rates)")
    }

    @Test func instantQueryTableAndPositionedErrors() throws {
        var options = QueryOptions(expression: "requests_total{code=\"500\"}")
        options.files = [try file(data)]
        options.timeMs = 1_700_000_120_000
        let output = CollectingOutput()
        try QueryRunner.run(options, clock: ManualClock(), output: output)
        #expect(output.lines == ["SERIES                                 VALUE", "requests_total{code=\"500\", job=\"api\"}  12"])
        options.expression = "sum(requests_total"
        do {
            try QueryRunner.run(options, clock: ManualClock(), output: CollectingOutput())
            Issue.record("an unclosed parenthesis must fail")
        } catch {
            #expect("\(error)".hasPrefix("1:19: unclosed left parenthesis"), "\(error)")
        }
    }

    @Test func timesAndStepsParseLikeThePrometheusAPI() {
        let now: Int64 = 1_700_000_000_000
        #expect(parseTimeArgument("now", nowMs: now) == now)
        #expect(parseTimeArgument("now-15m", nowMs: now) == now - 900_000)
        #expect(parseTimeArgument("1700000000.5", nowMs: 0) == 1_700_000_000_500)
        #expect(parseTimeArgument("2023-11-14T22:13:20Z", nowMs: 0) == 1_700_000_000_000)
        #expect(parseTimeArgument("2023-11-14T22:13:20.250Z", nowMs: 0) == 1_700_000_000_250)
        #expect(parseTimeArgument("yesterday", nowMs: now) == nil)
        #expect(parseStepArgument("15s") == 15_000)
        #expect(parseStepArgument("0.5") == 500)
        #expect(parseStepArgument("0") == nil)
        #expect(QueryOutput.seconds(1_700_000_000_500) == "1700000000.5")
        #expect(QueryOutput.seconds(1_700_000_000_000) == "1700000000")
        #expect(QueryOutput.seconds(1_700_000_000_007) == "1700000000.007")
    }
}

@Suite struct PromQLScriptsOnTheRealStoreTests {
    /// The package root (for ../shared/conformance and the engine's own scripts).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func scripts(in folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".test") }.sorted()
            .map { folder.appendingPathComponent($0).path }
    }

    @Test func prometheus242ConformanceScriptsPassOnSeriesStore() throws {
        let folder = Self.root.deletingLastPathComponent().appendingPathComponent("shared/conformance/promql/testdata-v2.42.0")
        let files = Self.scripts(in: folder)
        #expect(files.count == 11, "the 2.42 scripts in \(folder.path)")
        let output = CollectingOutput()
        let summary = try PromQLScriptRunner.run(files: files, verbose: false, output: output)
        #expect(summary.failed == 0, "\(output.text)")
        #expect(summary.passed == 566)
    }

    @Test func theEnginesOwnScriptsPassOnSeriesStore() throws {
        let files = Self.scripts(in: Self.root.appendingPathComponent("Tests/PromQLTests/Scripts"))
        #expect(files.count >= 9)
        let output = CollectingOutput()
        let summary = try PromQLScriptRunner.run(files: files, verbose: false, output: output)
        #expect(summary.failed == 0, "\(output.text)")
        #expect(summary.passed >= 370)
    }
}
