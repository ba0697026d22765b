import Foundation

/// A URL that is safe to embed in an OSC 8 hyperlink and to show: every byte outside printable
/// ASCII, and the characters that would end or confuse a quoted or terminal-embedded URI (space,
/// quotes, `<>`, backslash, `^`, backtick, `{|}`), as `%XX`. An existing `%XX` is kept.
public func percentEncodedURL(_ url: String) -> String {
    var out = ""
    for byte in url.utf8 {
        let c = Character(Unicode.Scalar(byte))
        if byte > 0x20 && byte < 0x7F && !"\"'<>\\^`{|} ".contains(c) {
            out.append(c)
        } else {
            out += String(format: "%%%02X", byte)
        }
    }
    return out
}

/// True for an `http:` or `https:` URL (any case): the only links strmscope offers to open.
public func isWebURL(_ url: String) -> Bool {
    let lower = url.prefix(8).lowercased()
    return lower.hasPrefix("http://") || lower.hasPrefix("https://")
}
