import Alerting
import Foundation
import ScopeCore
import Yams

/// `strmscope check`: validates dashboards, rule files, SLO definitions and runbooks, and that
/// every alert's `runbook_url` leads to a runbook with its four sections.
public enum ConfigCheck {
    public struct Report: Sendable {
        public var checked: [(file: String, what: String)] = []
        public var problems: [String] = []
        /// Files examined, valid or not.
        public var files = 0
        /// Paths that could not be checked at all (missing, unreadable): an error, not a problem
        /// found in a file.
        public var unreadable: [String] = []

        /// `3 files checked, 1 problem` (with the unreadable paths, if any).
        public var summary: String {
            func count(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
            var text = "\(count(files, "file")) checked, \(count(problems.count, "problem"))"
            if !unreadable.isEmpty { text += ", \(count(unreadable.count, "path")) could not be read" }
            return text
        }
    }

    /// With no paths: `Dashboards` and `Runbooks` when they are in the working directory, else
    /// the dashboard, alert pack and SLO rules built into the binary (what `scope` and `eval`
    /// use without flags).
    public static func runDefault() -> Report {
        let here = ["Dashboards", "Runbooks"].filter { FileManager.default.fileExists(atPath: $0) }
        if !here.isEmpty { return run(paths: here) }
        var report = Report()
        for (name, text) in builtInDashboardFiles.sorted(by: { $0.key < $1.key }) {
            check(text, file: "(built in) \(name)", runbookLinks: false, into: &report)
        }
        return report
    }

    /// A preset as built in: its dashboard and rule files; runbook links too when the runbooks
    /// are here to check (a Runbooks folder in the working directory).
    public static func run(preset: Preset) -> Report {
        var report = Report()
        let links = FileManager.default.fileExists(atPath: "Runbooks")
        for file in [preset.dashboardFile] + preset.ruleFiles {
            check(builtInDashboardFiles[file]!, file: "(built in) \(file)", runbookLinks: links, into: &report)
        }
        return report
    }

    public static func run(paths: [String]) -> Report {
        var report = Report()
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                report.unreadable.append("\(path): no such file or directory")
                continue
            }
            if isDirectory.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                files += names.sorted().filter { $0.hasSuffix(".yml") || $0.hasSuffix(".yaml") || $0.hasSuffix(".md") }.map { path + "/" + $0 }
            } else {
                files.append(path)
            }
        }
        for file in files { check(file, into: &report) }
        return report
    }

    static func check(_ file: String, into report: inout Report) {
        guard let data = FileManager.default.contents(atPath: file) else {
            report.unreadable.append("\(file): cannot read the file")
            return
        }
        check(String(decoding: data, as: UTF8.self), file: file, runbookLinks: true, into: &report)
    }

    static func check(_ text: String, file: String, runbookLinks checkLinks: Bool, into report: inout Report) {
        report.files += 1
        if file.hasSuffix(".md") {
            if (file as NSString).lastPathComponent == "README.md" { return }
            let problems = RunbookCheck.problems(text, file: file)
            report.problems += problems.map(\.description)
            report.checked.append((file, "runbook"))
            return
        }
        let keys = Set(((try? Yams.compose(yaml: text))??.mapping?.keys.compactMap(\.string)) ?? [])
        do {
            if keys.contains("channels") {
                _ = try Dashboard.parse(text, file: file)
                report.checked.append((file, "dashboard"))
            } else if keys.contains("slos") {
                let slos = try SLOCompiler.parse(text, file: file)
                _ = try RuleFile.parse(SLOCompiler.ruleFile(slos), file: "\(file) (generated rules)")
                report.checked.append((file, "SLO definitions (\(slos.count))"))
            } else if keys.contains("rule_files") {
                report.checked.append((file, "rule unit tests (run them with strmscope test rules)"))
            } else {
                let rules = try RuleFile.parse(text, file: file)
                if checkLinks { report.problems += runbookLinks(rules, file: file) }
                let count = rules.groups.reduce(0) { $0 + $1.rules.count }
                report.checked.append((file, "rule file (\(rules.groups.count) groups, \(count) rules)"))
            }
        } catch {
            report.problems.append("\(error)")
        }
    }

    /// Every alert needs `annotations.runbook_url`; a relative one must name a runbook file
    /// (looked up from the working directory, then beside the rule file's directory) that passes
    /// the runbook check with the alert's name as its title.
    static func runbookLinks(_ rules: RuleFile, file: String) -> [String] {
        var problems: [String] = []
        let base = ((file as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
        for group in rules.groups {
            for rule in group.rules {
                guard case .alert(let name) = rule.kind else { continue }
                let at = "\(file):\(rule.position.line):\(rule.position.column)"
                guard let url = rule.annotations.first(where: { $0.name == "runbook_url" })?.template.source, !url.isEmpty else {
                    problems.append("\(at): alert \(name) has no annotations.runbook_url")
                    continue
                }
                if url.hasPrefix("http://") || url.hasPrefix("https://") { continue }
                let path = url.components(separatedBy: "#")[0]
                let candidates = [path, base.isEmpty ? path : base + "/" + path]
                guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }),
                      let data = FileManager.default.contents(atPath: found)
                else {
                    problems.append("\(at): alert \(name): runbook \(url) does not exist")
                    continue
                }
                problems += RunbookCheck.problems(String(decoding: data, as: UTF8.self), file: found, alert: name).map(\.description)
            }
        }
        return problems
    }
}
