import Foundation
import ScopeCore
import Testing

@testable import StrmScopeApp

@Suite struct DashboardTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func theShippedDashboardLoads() throws {
        let dashboard = try Dashboard.load(file: Self.root.appendingPathComponent("Dashboards/streaming.yml").path)
        #expect(dashboard.channels.map(\.name) == ["EVENTS/s", "LAG", "DLQ", "ERRORS"])
        #expect(dashboard.channels[0].traces.map(\.label) == ["produced", "consumed"])
        #expect(dashboard.channels[1].threshold == 30)
        #expect(dashboard.trigger == Dashboard.Trigger(channel: 2, edge: .rising, level: 5, mode: .auto))
        #expect(dashboard.timePerDivisionMs == 5_000 && dashboard.refreshMs == 1_000)
    }

    func error(_ yaml: String) -> String {
        do {
            _ = try Dashboard.parse(yaml, file: "d.yml")
            return "no error"
        } catch {
            return error.description
        }
    }

    @Test func errorsNameFileLineAndColumn() {
        #expect(error("channels: []\n").hasPrefix("d.yml:1:11: a dashboard has 1 to 4 channels, not 0"))
        #expect(error("title: x\ncolour: red\nchannels: []\n").hasPrefix("d.yml:2:1: unknown field \"colour\" in the dashboard"))
        let badExpr = """
            channels:
              - name: A
                traces:
                  - expr: sum(rate(x[5m])
            """
        let message = error(badExpr)
        // The expression starts at column 15; the parser reports the unclosed parenthesis where the
        // input ends, 16 characters in.
        #expect(message.hasPrefix("d.yml:4:30: invalid PromQL: unclosed left parenthesis"), "\(message)")
        #expect(message.hasSuffix("\n        - expr: sum(rate(x[5m])\n  " + String(repeating: " ", count: 29) + "^"), "the caret: \(message)")
        #expect(error("channels:\n  - name: A\n    traces:\n      - expr: x[5m]\n").contains("instant vector or a scalar, not a range vector"))
        #expect(error("channels:\n  - name: A\n    color: puce\n    traces: [{expr: x}]\n").hasPrefix("d.yml:3:12: color must be a name"))
        #expect(error("channels:\n  - name: A\n    traces: [{expr: x}]\ntrigger: {channel: 3}\n").contains("trigger channel must be a whole number from 1 to 1"))
        #expect(error("channels: [\n").hasPrefix("d.yml:2:1: invalid YAML"), "\(error("channels: [\n"))")
        #expect(error("time_per_div: soon\nchannels:\n  - name: A\n    traces: [{expr: x}]\n").hasPrefix("d.yml:1:15: time_per_div must be a duration"))
    }
}
