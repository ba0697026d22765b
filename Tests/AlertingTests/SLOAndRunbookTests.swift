import Foundation
import ScopeCore
import Testing

@testable import Alerting

@Suite struct SLOAndRunbookTests {
    static let definition = """
        slos:
          - name: consumer-lag
            indicator: max by (consumergroup) (strm_consumergroup_lag_seconds)
            threshold: 30
            objective: 99.9
            period: 28d
        """

    @Test func anSLOCompilesToTheWorkbooksWindowsAndFactors() throws {
        let slos = try SLOCompiler.parse(Self.definition, file: "slo.yml")
        #expect(slos.first?.pageAlert == "ConsumerLagSLOBurnFast" && slos.first?.ticketAlert == "ConsumerLagSLOBurnSlow")
        let rules = try RuleFile.parse(SLOCompiler.ruleFile(slos), file: "generated")
        let all = rules.groups.flatMap(\.rules)
        let page = try #require(all.first { $0.name == "ConsumerLagSLOBurnFast" })
        #expect(page.source.contains("ratio_rate1h{slo=\"consumer-lag\"} > (14.4 * 0.001)") && page.source.contains("ratio_rate5m{slo=\"consumer-lag\"} > (14.4 * 0.001)"))
        #expect(page.source.contains("ratio_rate6h{slo=\"consumer-lag\"} > (6 * 0.001)") && page.source.contains("ratio_rate30m{slo=\"consumer-lag\"} > (6 * 0.001)"))
        let ticket = try #require(all.first { $0.name == "ConsumerLagSLOBurnSlow" })
        #expect(ticket.source.contains("ratio_rate1d{slo=\"consumer-lag\"} > (3 * 0.001)") && ticket.source.contains("ratio_rate2h"))
        #expect(ticket.source.contains("ratio_rate3d{slo=\"consumer-lag\"} > (1 * 0.001)") && ticket.source.contains("ratio_rate6h"))
        #expect(all.contains { $0.name == "strmscope_slo:error_budget_remaining:ratio" })
        #expect(all.first { $0.name == "strmscope_slo:sli_bad:bool" }?.source == "(max by (consumergroup) (strm_consumergroup_lag_seconds)) > bool 30")
        #expect(page.annotations.contains { $0.name == "runbook_url" && $0.template.source == "Runbooks/ConsumerLagSLOBurnFast.md" })
    }

    @Test func theShippedSLORulesAreWhatTheCompilerWrites() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let slos = try SLOCompiler.load(file: root.appendingPathComponent("Dashboards/slo.yml").path)
        let shipped = try String(contentsOf: root.appendingPathComponent("Dashboards/slo-rules.yml"), encoding: .utf8)
        #expect(SLOCompiler.ruleFile(slos) == shipped, "regenerate: strmscope slo generate Dashboards/slo.yml > Dashboards/slo-rules.yml")
    }

    @Test func badSLODefinitionsArePositioned() {
        func error(_ yaml: String) -> String {
            do { _ = try SLOCompiler.parse(yaml, file: "slo.yml"); return "no error" } catch { return "\(error.position.line):\(error.position.column): \(error.message)" }
        }
        #expect(error("slos:\n  - name: x\n    indicator: 'max(lag'\n    threshold: 1\n    objective: 99\n").hasPrefix("3:24: invalid PromQL"))
        #expect(error("slos:\n  - name: x\n    indicator: lag\n    threshold: 1\n    objective: 100\n").hasPrefix("5:16: objective is a percentage"))
        #expect(error("slos:\n  - name: x\n    indicator: lag\n    objective: 99\n").hasPrefix("2:5: an SLO needs a \"threshold\""))
    }

    @Test func runbooksNeedTheFourSectionsInOrder() {
        let good = "# LagHigh\n\n## Meaning\nx\n## Impact\nx\n## Diagnosis\nx\n## Mitigation\nx\n"
        #expect(RunbookCheck.problems(good, file: "r.md", alert: "LagHigh").isEmpty)
        #expect(RunbookCheck.problems(good, file: "r.md", alert: "Other").map(\.message) == ["the title should be the alert's name, \"# Other\""])
        let missing = "# LagHigh\n## Meaning\nx\n## Impact\nx\n## Mitigation\nx\n"
        #expect(RunbookCheck.problems(missing, file: "r.md").map(\.message).first?.hasPrefix("missing section \"## Diagnosis\"") == true)
        let empty = "# LagHigh\n## Meaning\n\n## Impact\nx\n## Diagnosis\nx\n## Mitigation\nx\n"
        #expect(RunbookCheck.problems(empty, file: "r.md").map(\.description).first?.hasPrefix("r.md:2:1: section \"## Meaning\" is empty") == true)
        let swapped = "# LagHigh\n## Impact\nx\n## Meaning\nx\n## Diagnosis\nx\n## Mitigation\nx\n"
        #expect(RunbookCheck.problems(swapped, file: "r.md").count == 1)
    }
}
