/// A label matcher of a PromQL selector: `name="v"`, `name!="v"`, `name=~"re"`, `name!~"re"`.
/// Regular expressions are fully anchored, as in Prometheus (`=~"a|b"` means `^(?:a|b)$`).
public struct LabelMatcher: Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case equal = "="
        case notEqual = "!="
        case regexMatch = "=~"
        case regexNoMatch = "!~"
    }

    public let name: String
    public let kind: Kind
    public let value: String
    private let pattern: AnchoredPattern?

    /// Throws `LabelMatcher.InvalidRegex` (with the compiler's reason) for a bad expression.
    public init(_ name: String, _ kind: Kind, _ value: String) throws {
        self.name = name
        self.kind = kind
        self.value = value
        switch kind {
        case .equal, .notEqual: pattern = nil
        case .regexMatch, .regexNoMatch: pattern = try AnchoredPattern(value)
        }
    }

    /// Matches a label's value; an absent label has the value "" (as in Prometheus).
    public func matches(_ labelValue: String) -> Bool {
        switch kind {
        case .equal: labelValue == value
        case .notEqual: labelValue != value
        case .regexMatch: pattern!.matches(labelValue)
        case .regexNoMatch: !pattern!.matches(labelValue)
        }
    }

    /// True when the matcher also selects series that lack the label (it matches "").
    public var matchesEmpty: Bool { matches("") }

    /// The value set of the matcher's positive form (`=` value, or the `=~` pattern; `!=`/`!~`
    /// select its complement) in a shape an index can use without running a regex per value.
    public enum ValueShape: Sendable, Equatable {
        /// `.*`: every value, the empty one included.
        case anyValue
        /// `.+`: every non-empty value.
        case anyNonEmptyValue
        /// Exactly these values (`=` value, or a regex of plain alternatives such as `a|b|c`).
        case literals(Set<String>)
        /// A regex that must be evaluated value by value.
        case general
    }

    /// See `ValueShape`: what the index can do with `value` for this matcher's kind.
    public var valueShape: ValueShape {
        switch kind {
        case .equal, .notEqual: .literals([value])
        case .regexMatch, .regexNoMatch: pattern!.valueShape
        }
    }

    public var description: String { "\(name)\(kind.rawValue)\"\(escapeLabelValue(value))\"" }

    public struct InvalidRegex: Error, Sendable, CustomStringConvertible {
        public let pattern: String
        public let reason: String
        public var description: String { "invalid regular expression \"\(pattern)\": \(reason)" }
    }
}

/// A fully anchored regular expression with fast paths for the shapes that dominate real
/// selectors: a literal, a set of alternatives (`a|b|c`), `.*` and `.+`.
struct AnchoredPattern: @unchecked Sendable {
    private enum Shape {
        case any                 // .*
        case nonEmpty            // .+
        case literals(Set<String>)
        case general(GoRegex)
    }

    private let shape: Shape

    init(_ source: String) throws {
        if source == ".*" {
            shape = .any
        } else if source == ".+" {
            shape = .nonEmpty
        } else if let alternatives = Self.plainAlternatives(source) {
            shape = .literals(alternatives)
        } else {
            do throws(GoRegex.Failure) {
                shape = .general(try GoRegex.anchored(source))
            } catch {
                throw LabelMatcher.InvalidRegex(pattern: source, reason: "\(error)")
            }
        }
    }

    var valueShape: LabelMatcher.ValueShape {
        switch shape {
        case .any: .anyValue
        case .nonEmpty: .anyNonEmptyValue
        case .literals(let set): .literals(set)
        case .general: .general
        }
    }

    func matches(_ value: String) -> Bool {
        switch shape {
        case .any: true
        case .nonEmpty: !value.isEmpty
        case .literals(let set): set.contains(value)
        case .general(let regex): regex.matchesWhole(value)
        }
    }

    /// `a|b|c` made only of characters without regex meaning: a set lookup does the work.
    private static func plainAlternatives(_ source: String) -> Set<String>? {
        let special = Set("\\^$.|?*+()[]{}")
        let parts = source.split(separator: "|", omittingEmptySubsequences: false)
        guard parts.allSatisfy({ part in !part.contains(where: { special.contains($0) && $0 != "|" }) }) else { return nil }
        return Set(parts.map(String.init))
    }
}
