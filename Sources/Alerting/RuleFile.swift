import Foundation
import PromQL
import ScopeCore
import YAMLConfig

/// One rule of a Prometheus rule file: an alert or a recording rule.
public struct Rule: Sendable {
    public enum Kind: Sendable, Equatable {
        case alert(String)
        case record(String)
    }

    public var kind: Kind
    public var expression: Expr
    /// The expression as written (for messages, `ALERTS` and the printed rule file).
    public var source: String
    public var forMs: Int64
    public var keepFiringForMs: Int64
    /// In file order; values are templates for alerts, plain text for records.
    public var labels: [(name: String, template: AlertTemplate)]
    public var annotations: [(name: String, template: AlertTemplate)]
    /// Where the rule starts, for messages.
    public var position: SourcePosition

    public var name: String {
        switch kind {
        case .alert(let name), .record(let name): name
        }
    }
}

/// A group of rules evaluated together, in order, at one interval.
public struct RuleGroup: Sendable {
    public var name: String
    public var file: String
    /// nil: the evaluator's default interval (Prometheus's `global.evaluation_interval`).
    public var intervalMs: Int64?
    /// Most alerts (or series of a recording rule) one rule may produce; 0 is no limit.
    public var limit: Int
    public var rules: [Rule]
}

/// A parsed and checked Prometheus rule file. Every problem is reported as `file:line:column`
/// with the line and a caret, including PromQL and template errors inside a value.
public struct RuleFile: Sendable {
    public var file: String
    public var groups: [RuleGroup]

    public static func load(file: String) throws -> RuleFile {
        guard let data = FileManager.default.contents(atPath: file) else { throw ParseError(file: file, position: SourcePosition(line: 1, column: 1), message: "cannot read the rule file") }
        guard data.count <= 16 << 20 else { throw ParseError(file: file, position: SourcePosition(line: 1, column: 1), message: "\(data.count) bytes is more than the 16 MiB a rule file may have") }
        return try parse(String(decoding: data, as: UTF8.self), file: file)
    }

    public static func parse(_ text: String, file: String) throws(ParseError) -> RuleFile {
        let root = try YAMLNode.load(text, file: file)
        let fields = try root.mapping(allowed: ["groups"], what: "a rule file")
        var groups: [RuleGroup] = []
        guard let groupsNode = fields["groups"], !groupsNode.isNull else { return RuleFile(file: file, groups: []) }
        for node in try groupsNode.sequence(what: "groups") {
            let group = try parseGroup(node, file: file)
            if groups.contains(where: { $0.name == group.name }) {
                throw node.error("group name \"\(group.name)\" is repeated in the same file")
            }
            groups.append(group)
        }
        return RuleFile(file: file, groups: groups)
    }

    static func parseGroup(_ node: YAMLNode, file: String) throws(ParseError) -> RuleGroup {
        let f = try node.mapping(allowed: ["name", "interval", "limit", "rules"], what: "a rule group")
        guard let nameNode = f["name"], case let name = try nameNode.string(what: "name"), !name.isEmpty else {
            throw node.error("a group needs a \"name\"")
        }
        var intervalMs: Int64?
        if let interval = f["interval"] {
            intervalMs = try interval.duration(what: "interval")
            guard intervalMs! > 0 else { throw interval.error("interval must be more than 0") }
        }
        var rules: [Rule] = []
        if let rulesNode = f["rules"], !rulesNode.isNull {
            for ruleNode in try rulesNode.sequence(what: "rules") { rules.append(try parseRule(ruleNode)) }
        }
        return RuleGroup(name: name, file: file, intervalMs: intervalMs, limit: try f["limit"]?.int(what: "limit", in: 0...Int(Int32.max)) ?? 0,
                         rules: rules)
    }

    static func parseRule(_ node: YAMLNode) throws(ParseError) -> Rule {
        let f = try node.mapping(allowed: ["alert", "record", "expr", "for", "keep_firing_for", "labels", "annotations"], what: "a rule")
        let kind: Rule.Kind
        switch (f["alert"], f["record"]) {
        case (let alert?, nil):
            let name = try alert.string(what: "alert")
            guard !name.isEmpty else { throw alert.error("alert name must not be empty") }
            kind = .alert(name)
        case (nil, let record?):
            let name = try record.string(what: "record")
            guard isValidMetricName(name) else { throw record.error("invalid recording rule name \"\(name)\" (a metric name: [a-zA-Z_:][a-zA-Z0-9_:]*)") }
            kind = .record(name)
            for field in ["for", "keep_firing_for", "annotations"] where f[field] != nil {
                throw f[field]!.error("invalid field \"\(field)\" in a recording rule")
            }
        case (nil, nil):
            throw node.error("a rule needs \"alert\" or \"record\"")
        case (_?, let record?):
            throw record.error("a rule is either an alert or a recording rule, not both")
        }
        guard let exprNode = f["expr"] else { throw node.error("field \"expr\" must be set in the rule") }
        let source = try exprNode.string(what: "expr")
        let expression: Expr
        do throws(ParseError) {
            expression = try PromQL.parse(source)
        } catch {
            throw exprNode.error("invalid PromQL: \(error.message)", at: exprNode.filePosition(ofValuePosition: error.position))
        }
        guard expression.type == .instantVector || expression.type == .scalar else {
            throw exprNode.error("expr must give an instant vector or a scalar, not a \(expression.type)")
        }
        return Rule(
            kind: kind, expression: expression, source: source,
            forMs: try f["for"]?.duration(what: "for") ?? 0, keepFiringForMs: try f["keep_firing_for"]?.duration(what: "keep_firing_for") ?? 0,
            labels: try templates(f["labels"], what: "labels", checkNames: true),
            annotations: try templates(f["annotations"], what: "annotations", checkNames: true),
            position: node.position)
    }

    static func templates(_ node: YAMLNode?, what: String, checkNames: Bool) throws(ParseError) -> [(name: String, template: AlertTemplate)] {
        guard let node, !node.isNull else { return [] }
        var out: [(name: String, template: AlertTemplate)] = []
        for entry in try node.entries(what: what) {
            guard isValidLabelName(entry.key) else { throw entry.keyNode.error("invalid \(what) name \"\(entry.key)\" ([a-zA-Z_][a-zA-Z0-9_]*)") }
            let text = try entry.value.isNull ? "" : entry.value.string(what: "\(what).\(entry.key)")
            do throws(TemplateError) {
                out.append((entry.key, try AlertTemplate(text)))
            } catch {
                let at = entry.value.filePosition(ofValuePosition: SourcePosition(line: error.line, column: error.column))
                throw entry.value.error("invalid template in \(what).\(entry.key): \(error.message)", at: at)
            }
        }
        return out
    }
}

func isValidMetricName(_ name: String) -> Bool {
    guard let first = name.unicodeScalars.first, first == "_" || first == ":" || (first.isASCII && first.properties.isAlphabetic) else { return false }
    return name.unicodeScalars.allSatisfy { $0 == "_" || $0 == ":" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
}

func isValidLabelName(_ name: String) -> Bool {
    isValidMetricName(name) && !name.contains(":")
}
