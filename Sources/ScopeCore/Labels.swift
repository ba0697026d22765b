/// One label pair of the Prometheus data model.
public struct Label: Hashable, Sendable, Comparable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    public static func < (lhs: Label, rhs: Label) -> Bool {
        lhs.name != rhs.name ? lhs.name < rhs.name : lhs.value < rhs.value
    }
}

/// A label set, kept sorted by name with unique names, so two sets with the same pairs are equal
/// and hash alike whatever order they were written in.
public struct Labels: Hashable, Sendable, Sequence, CustomStringConvertible {
    public private(set) var pairs: [Label]

    public init() { pairs = [] }

    /// Later pairs win when a name repeats, as when labels are layered (target labels, then series labels).
    public init(_ pairs: [Label]) {
        var byName: [String: String] = [:]
        var order: [String] = []
        for pair in pairs {
            if byName.updateValue(pair.value, forKey: pair.name) == nil { order.append(pair.name) }
        }
        self.pairs = order.sorted().map { Label($0, byName[$0]!) }
    }

    /// Pairs that are usually already sorted by name with unique names (copied from another
    /// `Labels`, or built in order): taken as they are after an O(n) check, which is much cheaper
    /// than `init(_ pairs:)`; anything else goes through that initializer.
    public init(presorted pairs: [Label]) {
        var ordered = true
        var i = 1
        while i < pairs.count {
            if !(pairs[i - 1].name < pairs[i].name) {
                ordered = false
                break
            }
            i += 1
        }
        if ordered {
            self.init()
            self.pairs = pairs
        } else {
            self.init(pairs)
        }
    }

    public init(_ dictionary: [String: String]) {
        self.pairs = dictionary.keys.sorted().map { Label($0, dictionary[$0]!) }
    }

    public subscript(name: String) -> String? {
        pairs.first(where: { $0.name == name })?.value
    }

    public var isEmpty: Bool { pairs.isEmpty }
    public var count: Int { pairs.count }

    public func makeIterator() -> IndexingIterator<[Label]> { pairs.makeIterator() }

    /// A copy with `name` set to `value` (replacing any previous value).
    public func setting(_ name: String, _ value: String) -> Labels {
        // Sorted insert or replace: no re-sort, one array copy (hot in histogram and store paths).
        var copy = Labels()
        copy.pairs.reserveCapacity(pairs.count + 1)
        var placed = false
        for pair in pairs {
            if !placed && pair.name >= name {
                copy.pairs.append(Label(name, value))
                placed = true
                if pair.name == name { continue }
            }
            copy.pairs.append(pair)
        }
        if !placed { copy.pairs.append(Label(name, value)) }
        return copy
    }

    /// A copy without the named label.
    public func removing(_ name: String) -> Labels {
        var copy = self
        copy.pairs.removeAll { $0.name == name }
        return copy
    }

    /// `{a="1", b="2"}` with Go-style escaping, as Prometheus prints label sets.
    public var description: String {
        "{" + pairs.map { "\($0.name)=\"\(escapeLabelValue($0.value))\"" }.joined(separator: ", ") + "}"
    }
}

extension Labels: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements.map { Label($0.0, $0.1) })
    }
}

/// Escapes a label value for the text exposition format and for printing: backslash, double quote
/// and line feed, exactly the three escapes the format defines.
public func escapeLabelValue(_ value: String) -> String {
    guard value.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") }) else {
        return value
    }
    var out = ""
    out.reserveCapacity(value.utf8.count + 8)
    for ch in value.unicodeScalars {
        switch ch {
        case "\\": out += "\\\\"
        case "\"": out += "\\\""
        case "\n": out += "\\n"
        default: out.unicodeScalars.append(ch)
        }
    }
    return out
}
