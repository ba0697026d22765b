import Foundation
import PromQL
import Testing

/// The engine's own tests, written as promqltest scripts in `Scripts/` (every expectation there
/// was checked against Prometheus 2.42's engine through `promtool test rules`).
@Suite("Engine promqltest scripts")
struct EngineScriptTests {
    static let scripts = ScriptLocations.scripts(in: ScriptLocations.engineScripts)

    @Test("the scripts directory is found and not empty")
    func scriptsExist() {
        #expect(Self.scripts.count >= 9, "scripts in \(ScriptLocations.engineScripts.path)")
    }

    @Test("every eval passes", arguments: scripts.map(\.lastPathComponent))
    func script(_ name: String) throws {
        let report = try ScriptLocations.run(ScriptLocations.engineScripts.appendingPathComponent(name))
        for failure in report.failed { Issue.record("\(failure)") }
        #expect(report.excluded.isEmpty)
        #expect(report.passed > 0)
        print("\(name): \(report.passed) passed, \(report.failed.count) failed")
    }
}

/// Scripts named in `PROMQL_TEST_SCRIPTS` (colon-separated paths), for ad-hoc runs, e.g. of
/// generated scripts whose expectations came from `promtool test rules`. Skipped when unset.
@Suite("External promqltest scripts")
struct ExternalScriptTests {
    static let paths = (ProcessInfo.processInfo.environment["PROMQL_TEST_SCRIPTS"] ?? "").split(separator: ":").map(String.init)

    @Test("every eval passes", .enabled(if: !paths.isEmpty))
    func external() throws {
        for path in Self.paths {
            let report = try ScriptLocations.run(URL(fileURLWithPath: path))
            for failure in report.failed { Issue.record("\(failure)") }
            print("\(path): \(report.passed) passed, \(report.failed.count) failed")
        }
    }
}
