import ScopeCore
import Yams

/// A YAML node that knows where it came from, so every configuration error (dashboards, rule
/// files, SLO definitions) names `file:line:column` and shows the line with a caret.
public struct YAMLNode {
    public let node: Yams.Node
    public let file: String
    private let lines: [Substring]

    /// Parses `text` (one document). Syntax errors are positioned too.
    public static func load(_ text: String, file: String) throws(ParseError) -> YAMLNode {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw ParseError(file: file, position: SourcePosition(line: 1, column: 1), message: "the file is empty")
            }
            return YAMLNode(node: node, file: file, lines: lines)
        } catch let error as ParseError {
            throw error
        } catch let error as YamlError {
            throw Self.positioned(error, file: file, lines: lines)
        } catch {
            throw ParseError(file: file, position: SourcePosition(line: 1, column: 1), message: "\(error)")
        }
    }

    private init(node: Yams.Node, file: String, lines: [Substring]) {
        self.node = node
        self.file = file
        self.lines = lines
    }

    private func child(_ node: Yams.Node) -> YAMLNode { YAMLNode(node: node, file: file, lines: lines) }

    public var position: SourcePosition {
        SourcePosition(line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
    }

    /// An error at this node.
    public func error(_ message: String) -> ParseError { error(message, at: position) }

    /// An error at `at` in this node's file (inside a value: a PromQL error in an `expr`).
    public func error(_ message: String, at: SourcePosition) -> ParseError {
        let line = at.line >= 1 && at.line <= lines.count ? String(lines[at.line - 1]) : nil
        return ParseError(file: file, position: at, message: message, sourceLine: line)
    }

    /// Where, in the file, a position inside this scalar's value is (1-based within the value);
    /// exact for values on one line, the usual case.
    public func filePosition(ofValuePosition inner: SourcePosition) -> SourcePosition {
        let start = valueStart
        return inner.line == 1
            ? SourcePosition(line: start.line, column: start.column + inner.column - 1)
            : SourcePosition(line: start.line + inner.line - 1, column: inner.column)
    }

    /// The fields of a mapping; any key not in `allowed` is an error naming the ones that are.
    public func mapping(allowed: [String], what: String) throws(ParseError) -> [String: YAMLNode] {
        guard let mapping = node.mapping else { throw error("\(what) must be a mapping (key: value lines)") }
        var fields: [String: YAMLNode] = [:]
        for (key, value) in mapping {
            guard let name = key.string else { throw child(key).error("keys must be strings") }
            guard allowed.contains(name) else {
                throw child(key).error("unknown field \"\(name)\" in \(what) (expected one of: \(allowed.joined(separator: ", ")))")
            }
            guard fields[name] == nil else { throw child(key).error("field \"\(name)\" appears twice") }
            fields[name] = child(value)
        }
        return fields
    }

    /// The entries of a mapping with any keys (labels, annotations), in file order; a repeated
    /// key is an error.
    public func entries(what: String) throws(ParseError) -> [(key: String, keyNode: YAMLNode, value: YAMLNode)] {
        guard let mapping = node.mapping else { throw error("\(what) must be a mapping (key: value lines)") }
        var out: [(key: String, keyNode: YAMLNode, value: YAMLNode)] = []
        for (key, value) in mapping {
            guard let name = key.string else { throw child(key).error("keys must be strings") }
            guard !out.contains(where: { $0.key == name }) else { throw child(key).error("\"\(name)\" appears twice in \(what)") }
            out.append((name, child(key), child(value)))
        }
        return out
    }

    /// True for `null`, `~` or an empty value (`labels:` with nothing under it).
    public var isNull: Bool {
        if case .scalar(let scalar) = node { return scalar.tag.description.hasSuffix("null") || (scalar.style == .plain && ["", "~", "null"].contains(scalar.string)) }
        return false
    }

    public func sequence(what: String) throws(ParseError) -> [YAMLNode] {
        guard let sequence = node.sequence else { throw error("\(what) must be a list (lines starting with \"- \")") }
        return sequence.map(child)
    }

    public func string(what: String) throws(ParseError) -> String {
        guard case .scalar(let scalar) = node else { throw error("\(what) must be a single value") }
        return scalar.string
    }

    public func double(what: String) throws(ParseError) -> Double {
        let text = try string(what: what)
        guard let value = Double(text), value.isFinite else { throw error("\(what) must be a number, not \"\(text)\"") }
        return value
    }

    public func int(what: String, in range: ClosedRange<Int>) throws(ParseError) -> Int {
        let text = try string(what: what)
        guard let value = Int(text), range.contains(value) else {
            throw error("\(what) must be a whole number from \(range.lowerBound) to \(range.upperBound), not \"\(text)\"")
        }
        return value
    }

    /// A Prometheus duration (`30s`, `1h30m`).
    public func duration(what: String) throws(ParseError) -> Int64 {
        let text = try string(what: what)
        guard let ms = parseDurationMs(text) else { throw error("\(what) must be a duration like 30s, 5m or 1h30m, not \"\(text)\"") }
        return ms
    }

    /// One of `choices`.
    public func choice(_ choices: [String], what: String) throws(ParseError) -> String {
        let text = try string(what: what)
        guard choices.contains(text) else { throw error("\(what) must be one of \(choices.joined(separator: ", ")), not \"\(text)\"") }
        return text
    }

    /// Where the first character of this scalar's value is, for errors inside it (a PromQL
    /// expression): quoted scalars start one column after the quote.
    public var valueStart: SourcePosition {
        var at = position
        if case .scalar(let scalar) = node, scalar.style == .singleQuoted || scalar.style == .doubleQuoted { at.column += 1 }
        return at
    }

    private static func positioned(_ error: YamlError, file: String, lines: [Substring]) -> ParseError {
        var line = 1
        var column = 1
        var message = "\(error)"
        switch error {
        case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _):
            line = mark.line
            column = mark.column
            message = "invalid YAML: \(problem)"
        default:
            break
        }
        let text = line >= 1 && line <= lines.count ? String(lines[line - 1]) : nil
        return ParseError(file: file, position: SourcePosition(line: line, column: column), message: message, sourceLine: text)
    }
}
