/// A place in a text input: 1-based line and column (columns count Unicode scalars), and the
/// byte offset for tools.
public struct SourcePosition: Sendable, Equatable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var offset: Int

    public init(line: Int, column: Int, offset: Int = 0) {
        self.line = line
        self.column = column
        self.offset = offset
    }

    public static func < (a: SourcePosition, b: SourcePosition) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }

    public var description: String { "\(line):\(column)" }

    /// The position of byte `offset` in `text`.
    public static func of(offset: Int, in text: String) -> SourcePosition {
        var line = 1
        var column = 1
        var seen = 0
        for scalar in text.unicodeScalars {
            if seen >= offset { break }
            seen += String(scalar).utf8.count
            if scalar == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return SourcePosition(line: line, column: column, offset: offset)
    }
}

/// An error in a text input (exposition, PromQL, rule file, dashboard), printed as
/// `file:line:col: message`, then the offending line and a caret under the column.
public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String?
    public var position: SourcePosition
    public var message: String
    /// The whole line the error is on, when known, for the caret display.
    public var sourceLine: String?

    public init(file: String? = nil, position: SourcePosition, message: String, sourceLine: String? = nil) {
        self.file = file
        self.position = position
        self.message = message
        self.sourceLine = sourceLine
    }

    /// `file:3:14: message` (without the caret lines).
    public var headline: String {
        "\(file.map { "\($0):" } ?? "")\(position.line):\(position.column): \(message)"
    }

    public var description: String {
        guard let sourceLine else { return headline }
        let shown = sanitizeForTerminal(sourceLine)
        let caret = String(repeating: " ", count: max(0, position.column - 1)) + "^"
        return "\(headline)\n  \(shown)\n  \(caret)"
    }
}

/// Replaces control characters with visible escapes so input text can never drive a terminal:
/// C0 controls, DEL and C1 controls as `\xNN`, the bidirectional formatting characters (which
/// reorder what is shown, U+202E among them) as `\u202e`. A tab becomes a space. Every writer
/// of text that came from data (stderr messages, tables, the scope) goes through it.
public func sanitizeForTerminal(_ text: String) -> String {
    // Most text needs nothing: return it as is without building a copy.
    guard text.unicodeScalars.contains(where: needsTerminalEscape) else { return text }
    var out = ""
    for scalar in text.unicodeScalars {
        if scalar == "\t" {
            out += " "
        } else if isBidiControl(scalar) {
            out += "\\u" + String(scalar.value, radix: 16).leftPadded(to: 4)
        } else if needsTerminalEscape(scalar) {
            out += "\\x" + String(scalar.value, radix: 16).leftPadded(to: 2)
        } else {
            out.unicodeScalars.append(scalar)
        }
    }
    return out
}

/// `sanitizeForTerminal` for text of several lines: each line escaped, the line breaks kept.
public func sanitizeLinesForTerminal(_ text: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).map { sanitizeForTerminal(String($0)) }.joined(separator: "\n")
}

@inline(__always)
func needsTerminalEscape(_ scalar: Unicode.Scalar) -> Bool {
    let v = scalar.value
    return v < 0x20 || v == 0x7F || (0x80...0x9F).contains(v) || isBidiControl(scalar)
}

/// The characters that change the display order of text around them (LRM, RLM, ALM, the
/// embeddings and overrides U+202A–U+202E, the isolates U+2066–U+2069).
public func isBidiControl(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x200E, 0x200F, 0x061C, 0x202A...0x202E, 0x2066...0x2069: true
    default: false
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
