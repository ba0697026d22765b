/// `text` as Markdown that renders as exactly this text: every ASCII punctuation character is
/// backslash-escaped (nothing in it can become a link, emphasis, a heading, a list, an entity or
/// HTML), each line's leading blanks are dropped (no indented code block) and its line breaks are
/// kept as hard breaks (blank lines dropped, so it stays one paragraph). For data shown inside a
/// page strmscope writes itself: alert summaries and URLs come from labels a scrape target controls.
public func markdownLiteral(_ text: String) -> String {
    var lines: [String] = []
    for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
        var out = ""
        for character in line.drop(while: { $0 == " " || $0 == "\t" }) {
            if character.isASCII, character.isPunctuation || character.isSymbol {
                out.append("\\")
            }
            out.append(character)
        }
        if !out.isEmpty { lines.append(out) }
    }
    return lines.joined(separator: "\\\n")
}
