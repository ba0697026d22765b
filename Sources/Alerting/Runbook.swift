import Foundation
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

/// Where an alert's `runbook_url` may lead. The URL is data: a template can fill it from a
/// scraped label, so a path is opened only inside the runbook folders strmscope was given (after
/// resolving `..` and symlinks), never absolute or elsewhere (`/proc/self/environ`); a link is
/// offered only for http(s), percent-encoded so it cannot break out of an OSC 8 sequence.
public enum RunbookLocation: Sendable, Equatable {
    /// A readable runbook file inside one of the folders (its resolved path).
    case file(path: String)
    /// A web page, percent-encoded: safe as an OSC 8 hyperlink and to show.
    case web(url: String)
    /// Not opened, and why (shown in the viewer).
    case refused(reason: String)

    /// The largest runbook file read.
    public static let maxFileBytes = 1 << 20

    /// `folders`: the runbook folders (relative to the working directory or absolute). A relative
    /// `runbook_url` (`Runbooks/LagTooHigh.md#step-2`) is looked up from the working directory,
    /// then from each folder's parent and from each folder itself.
    public static func locate(_ url: String, folders: [String], workingDirectory: String) -> RunbookLocation {
        if let colon = url.firstIndex(of: ":"), url[..<colon].allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) }),
            url[..<colon].first?.isLetter == true
        {
            let scheme = url[..<colon].lowercased()
            guard scheme == "http" || scheme == "https" else {
                return .refused(reason: "only http and https runbook links are opened, not \(scheme):")
            }
            return .web(url: percentEncodedURL(url))
        }
        let path = String(url.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
        guard !path.isEmpty else { return .refused(reason: "the runbook_url names no file") }
        guard !path.hasPrefix("/") else {
            return .refused(reason: "an absolute path is not opened: runbooks are read only from \(folders.joined(separator: ", "))")
        }
        func absolute(_ p: String) -> String { p.hasPrefix("/") ? p : workingDirectory + "/" + p }
        let roots = folders.compactMap { resolvedPath(absolute($0)) }
        guard !roots.isEmpty else { return .refused(reason: "no runbook folder here (\(folders.joined(separator: ", ")))") }
        let bases = [workingDirectory] + folders.map { (absolute($0) as NSString).deletingLastPathComponent } + folders.map(absolute)
        for base in bases {
            guard let resolved = resolvedPath(base + "/" + path) else { continue }
            guard roots.contains(where: { resolved.hasPrefix($0 + "/") }) else {
                return .refused(reason: "\(path) leads outside the runbook folders (\(folders.joined(separator: ", ")))")
            }
            var info = stat()
            guard stat(resolved, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return .refused(reason: "\(path) is not a file") }
            guard info.st_size <= maxFileBytes else { return .refused(reason: "\(path) is larger than \(maxFileBytes) bytes") }
            return .file(path: resolved)
        }
        return .refused(reason: "\(path) is not in the runbook folders (\(folders.joined(separator: ", ")))")
    }

    /// The real path (symlinks and `..` resolved), nil when it does not exist.
    static func resolvedPath(_ path: String) -> String? {
        guard let real = realpath(path, nil) else { return nil }
        defer { free(real) }
        return String(cString: real)
    }
}
