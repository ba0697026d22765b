import Foundation
import PromQL
import Testing

/// The evals of Prometheus 2.42's scripts that use a feature the engine deliberately does not
/// support (file → eval line → reason): none since holt_winters was added. Should one be needed,
/// `excludedEvalsFailAsUnsupported` checks that it fails with a positioned "unsupported" error.
let conformanceExclusions: [String: [Int: String]] = [:]

@Suite("Prometheus 2.42 conformance scripts")
struct ConformanceTests {
    /// Expected pass counts per file, so a silently shrinking script set is noticed.
    static let expectedPasses: [String: Int] = [
        "aggregators.test": 83, "at_modifier.test": 33, "collision.test": 2, "functions.test": 207,
        "histograms.test": 38, "literals.test": 20, "operators.test": 94, "selectors.test": 31,
        "staleness.test": 14, "subquery.test": 25, "trig_functions.test": 19,
    ]

    @Test("every eval of testdata-v2.42.0 that uses supported features passes (instant and range mode)")
    func conformance() throws {
        let files = ScriptLocations.scripts(in: ScriptLocations.conformance)
        #expect(files.map(\.lastPathComponent) == Self.expectedPasses.keys.sorted(),
                "the 11 scripts of Prometheus 2.42 in \(ScriptLocations.conformance.path)")
        var summary: [String] = []
        for file in files {
            let name = file.lastPathComponent
            let report = try ScriptLocations.run(file, exclusions: conformanceExclusions[name] ?? [:])
            for failure in report.failed { Issue.record("\(failure)") }
            #expect(report.passed == Self.expectedPasses[name], "\(name): \(report.passed) passed")
            #expect(report.excluded.map(\.line).sorted() == (conformanceExclusions[name] ?? [:]).keys.sorted())
            summary.append("\(name): \(report.passed) passed, \(report.failed.count) failed, \(report.excluded.count) excluded")
        }
        print(summary.joined(separator: "\n"))
    }

    @Test("the excluded evals fail with a positioned unsupported-function error")
    func excludedEvalsFailAsUnsupported() throws {
        for (name, lines) in conformanceExclusions {
            let report = try ScriptLocations.run(ScriptLocations.conformance.appendingPathComponent(name))
            for line in lines.keys {
                let outcome = try #require(report.outcomes.first { $0.line == line })
                guard case .failed(let message) = outcome.status else {
                    Issue.record("\(name):\(line) was expected to fail as unsupported: \(outcome)")
                    continue
                }
                #expect(message.contains("1:1: unsupported function"), "\(message)")
            }
        }
    }
}
