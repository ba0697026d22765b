/// A JSON string literal: quote, backslash and control characters escaped (everything else as is,
/// UTF-8 being valid JSON). C0, DEL, C1 and the bidirectional formatting characters are written
/// as `\uXXXX`, so a JSON line shown in a terminal can neither drive it nor reorder itself.
/// Shared by every hand-written JSON output.
public func jsonQuoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if needsTerminalEscape(scalar) {
                out += jsonUnicodeEscape(scalar)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}

/// JSON made by an encoder (JSONSerialization, JSONEncoder), which leaves DEL, C1 and bidi
/// characters raw: those rewritten as `\uXXXX`. They can only occur inside string literals (JSON's
/// syntax is ASCII), where the escape means the same character.
public func jsonEscapingControls(_ json: String) -> String {
    guard json.unicodeScalars.contains(where: needsTerminalEscape) else { return json }
    var out = ""
    for scalar in json.unicodeScalars {
        if needsTerminalEscape(scalar) { out += jsonUnicodeEscape(scalar) } else { out.unicodeScalars.append(scalar) }
    }
    return out
}

private func jsonUnicodeEscape(_ scalar: Unicode.Scalar) -> String {
    let hex = String(scalar.value, radix: 16)
    return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
}
