import ScopeCore

/// Runbooks follow the prometheus-operator layout: `# AlertName`, then `## Meaning`,
/// `## Impact`, `## Diagnosis`, `## Mitigation`, in that order, none of them empty.
public enum RunbookCheck {
    public static let sections = ["Meaning", "Impact", "Diagnosis", "Mitigation"]

    /// Every problem of a runbook's text, positioned (`file:line:1`).
    public static func problems(_ text: String, file: String, alert: String? = nil) -> [ParseError] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        func error(_ line: Int, _ message: String) -> ParseError {
            ParseError(file: file, position: SourcePosition(line: line, column: 1), message: message,
                       sourceLine: line >= 1 && line <= lines.count ? String(lines[line - 1]) : nil)
        }
        var problems: [ParseError] = []
        guard let title = lines.firstIndex(where: { $0.hasPrefix("# ") }) else {
            return [error(1, "a runbook starts with a title line \"# AlertName\"")]
        }
        if let alert, lines[title].dropFirst(2).trimmingCharacters(in: .whitespaces) != alert {
            problems.append(error(title + 1, "the title should be the alert's name, \"# \(alert)\""))
        }
        var found: [(name: String, line: Int)] = []
        for (index, line) in lines.enumerated() where line.hasPrefix("## ") {
            found.append((line.dropFirst(3).trimmingCharacters(in: .whitespaces), index))
        }
        var previous = -1
        for section in sections {
            guard let at = found.firstIndex(where: { $0.name == section }) else {
                problems.append(error(lines.count, "missing section \"## \(section)\" (a runbook has \(sections.map { "## \($0)" }.joined(separator: ", ")))"))
                continue
            }
            let line = found[at].line
            if at < previous { problems.append(error(line + 1, "\"## \(section)\" is out of order (expected \(sections.joined(separator: ", ")))")) }
            previous = at
            let end = at + 1 < found.count ? found[at + 1].line : lines.count
            let body = lines[(line + 1)..<end].filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            if body.isEmpty { problems.append(error(line + 1, "section \"## \(section)\" is empty")) }
        }
        return problems
    }
}
