import Markdown
import ScopeCore

/// A runbook laid out for one width: lines of styled segments, some of them links.
///
/// Headings are bold (the title also underlined, second-level headings coloured), emphasis is
/// underlined, strong is bold, inline code coloured (between backticks when there is no colour),
/// links underlined and coloured (web links become OSC 8 hyperlinks), lists have hanging indents,
/// quotes a bar, and code blocks are indented by four spaces with nothing else on their lines,
/// so a command can be copied from the screen as it is.
public struct RunbookLayout: Sendable, Equatable {
    public struct Segment: Sendable, Equatable {
        public var text: String
        public var style: CellStyle
        /// An http(s) URL, percent-encoded: these cells become a hyperlink.
        public var link: String?

        public init(_ text: String, style: CellStyle = .plain, link: String? = nil) {
            self.text = text
            self.style = style
            self.link = link
        }
    }

    public struct Line: Sendable, Equatable {
        public var segments: [Segment] = []
        public var width = 0

        mutating func append(_ text: String, style: CellStyle, link: String? = nil, width textWidth: Int) {
            if let last = segments.last, last.style == style, last.link == link {
                segments[segments.count - 1].text += text
            } else {
                segments.append(Segment(text, style: style, link: link))
            }
            width += textWidth
        }

        mutating func append(_ line: Line) {
            for segment in line.segments { append(segment.text, style: segment.style, link: segment.link, width: 0) }
            width += line.width
        }

        static func + (lhs: Line, rhs: Line) -> Line {
            var line = lhs
            line.append(rhs)
            return line
        }
    }

    public var lines: [Line]

    public static let codeStyle = CellStyle(foreground: .palette(14))
    static let dim = CellStyle(dim: true)

    /// `monochrome`: no colours will be shown (NO_COLOR, a terminal without them): inline code
    /// keeps its backticks so it stays recognisable.
    public init(_ document: MarkdownDocument, width: Int, monochrome: Bool = false) {
        let context = Context(monochrome: monochrome)
        lines = context.blocks(document.blocks, width: max(1, width), tight: false)
    }

    struct Context {
        var monochrome: Bool

        func blocks(_ blocks: [MarkdownDocument.Block], width: Int, tight: Bool) -> [Line] {
            var out: [Line] = []
            for (index, block) in blocks.enumerated() {
                if index > 0 && !tight { out.append(Line()) }
                out += self.block(block, width: width)
            }
            return out
        }

        func block(_ block: MarkdownDocument.Block, width: Int) -> [Line] {
            switch block {
            case .heading(let level, let inlines):
                let style = level == 1 ? CellStyle(bold: true, underline: true)
                    : level == 2 ? CellStyle(foreground: .palette(11), bold: true) : CellStyle(bold: true)
                return wrap(inlines, width: width, base: style)
            case .paragraph(let inlines):
                return wrap(inlines, width: width, base: .plain)
            case .code(let source):
                // Hard-wrapped, never re-flowed: a long command stays one command.
                return source.flatMap { line in
                    chunks(sanitizeForTerminal(expandingTabs(line)), width: max(1, width - 4)).map {
                        var out = Line()
                        out.append("    ", style: .plain, width: 4)
                        out.append($0.text, style: RunbookLayout.codeStyle, width: $0.width)
                        return out
                    }
                }
            case .list(let ordered, let start, let tight, let items):
                let markers = items.indices.map { ordered ? "\(start + $0). " : "• " }
                let indent = markers.map(\.count).max() ?? 2
                var out: [Line] = []
                for (index, item) in items.enumerated() {
                    if index > 0 && !tight { out.append(Line()) }
                    var body = blocks(item, width: width - indent, tight: tight)
                    if body.isEmpty { body = [Line()] }
                    for (row, line) in body.enumerated() {
                        var prefix = Line()
                        let marker = row == 0 ? markers[index] : ""
                        prefix.append(marker + String(repeating: " ", count: indent - marker.count), style: .plain, width: indent)
                        out.append(prefix + line)
                    }
                }
                return out
            case .quote(let content):
                var bar = Line()
                bar.append("│ ", style: RunbookLayout.dim, width: 2)
                return blocks(content, width: width - 2, tight: false).map { bar + $0 }
            case .rule:
                var line = Line()
                line.append(String(repeating: "─", count: width), style: RunbookLayout.dim, width: width)
                return [line]
            case .table(let rows):
                return table(rows, width: width)
            }
        }

        /// Columns padded to their widest cell when the table fits; otherwise each row wrapped
        /// as a paragraph with ` | ` between its cells.
        func table(_ rows: [[[MarkdownDocument.Inline]]], width: Int) -> [Line] {
            let cells = rows.enumerated().map { index, row in
                row.map { wrap($0, width: 1 << 30, base: index == 0 ? CellStyle(bold: true) : .plain).first ?? Line() }
            }
            let columns = cells.map(\.count).max() ?? 0
            var widths = Array(repeating: 0, count: columns)
            for row in cells { for (c, cell) in row.enumerated() { widths[c] = max(widths[c], cell.width) } }
            let total = widths.reduce(0, +) + 2 * max(0, columns - 1)
            guard total <= width else {
                return rows.enumerated().flatMap { index, row in
                    let joined = row.enumerated().flatMap { c, cell in (c > 0 ? [.text(" | ", MarkdownDocument.SpanStyle(note: true))] : []) + cell }
                    return wrap(joined, width: width, base: index == 0 ? CellStyle(bold: true) : .plain)
                }
            }
            var out: [Line] = []
            for (index, row) in cells.enumerated() {
                var line = Line()
                for (c, cell) in row.enumerated() {
                    if c > 0 { line.append("  ", style: .plain, width: 2) }
                    line.append(cell)
                    if c < row.count - 1 { line.append(String(repeating: " ", count: widths[c] - cell.width), style: .plain, width: widths[c] - cell.width) }
                }
                out.append(line)
                if index == 0 {
                    var rule = Line()
                    rule.append(String(repeating: "─", count: total), style: RunbookLayout.dim, width: total)
                    out.append(rule)
                }
            }
            return out
        }

        func style(_ span: MarkdownDocument.SpanStyle, base: CellStyle) -> CellStyle {
            var style = base
            if span.emphasis { style.underline = true }
            if span.strong { style.bold = true }
            if span.code { style.foreground = RunbookLayout.codeStyle.foreground }
            if span.link != nil {
                style.underline = true
                style.foreground = .palette(12)
            }
            if span.note { style.dim = true }
            return style
        }

        /// Words (runs without spaces, possibly of several styles) placed greedily: a word that
        /// does not fit starts a new line; one longer than a whole line is cut.
        func wrap(_ inlines: [MarkdownDocument.Inline], width: Int, base: CellStyle) -> [Line] {
            var lines: [Line] = []
            var line = Line()
            var word = Line()
            var space: (style: CellStyle, link: String?)?
            func flushWord() {
                guard !word.segments.isEmpty else { return }
                if line.width > 0, line.width + 1 + word.width > width {
                    lines.append(line)
                    line = Line()
                } else if line.width > 0, let space {
                    line.append(" ", style: space.style, link: space.link, width: 1)
                }
                if line.width == 0 && word.width > width {
                    // Longer than a line: cut it, keeping each piece's style.
                    for segment in word.segments {
                        for piece in chunks(segment.text, width: width, firstWidth: width - line.width) {
                            if line.width + piece.width > width {
                                lines.append(line)
                                line = Line()
                            }
                            line.append(piece.text, style: segment.style, link: segment.link, width: piece.width)
                        }
                    }
                } else {
                    line.append(word)
                }
                word = Line()
                space = nil
            }
            for inline in inlines {
                switch inline {
                case .softBreak:
                    flushWord()
                    space = space ?? (base, nil)
                case .hardBreak:
                    flushWord()
                    lines.append(line)
                    line = Line()
                case .text(let raw, let span):
                    let cellStyle = style(span, base: base)
                    let link = span.link.flatMap { isWebURL($0) ? percentEncodedURL($0) : nil }
                    var text = sanitizeForTerminal(expandingTabs(raw))
                    if span.code && monochrome { text = "`" + text + "`" }
                    var run = ""
                    var runWidth = 0
                    for character in text {
                        if character == " " || character == "\n" {
                            if !run.isEmpty { word.append(run, style: cellStyle, link: link, width: runWidth) }
                            run = ""
                            runWidth = 0
                            flushWord()
                            if line.width > 0 { space = space ?? (cellStyle, link) }
                        } else {
                            run.append(character)
                            runWidth += displayWidth(of: character)
                        }
                    }
                    if !run.isEmpty { word.append(run, style: cellStyle, link: link, width: runWidth) }
                }
            }
            flushWord()
            if line.width > 0 || lines.isEmpty { lines.append(line) }
            return lines
        }
    }
}

/// `text` cut into pieces of at most `width` columns (the first at most `firstWidth`).
func chunks(_ text: String, width: Int, firstWidth: Int? = nil) -> [(text: String, width: Int)] {
    var out: [(text: String, width: Int)] = []
    var current = ""
    var currentWidth = 0
    var limit = max(1, firstWidth ?? width)
    for character in text {
        let w = displayWidth(of: character)
        if currentWidth + w > limit, !current.isEmpty {
            out.append((current, currentWidth))
            current = ""
            currentWidth = 0
            limit = max(1, width)
        }
        current.append(character)
        currentWidth += w
    }
    if !current.isEmpty || out.isEmpty { out.append((current, currentWidth)) }
    return out
}

/// Tabs to the next multiple of four columns (a tab cell would be shown as an escape).
func expandingTabs(_ text: String) -> String {
    guard text.contains("\t") else { return text }
    var out = ""
    var column = 0
    for character in text {
        if character == "\t" {
            let pad = 4 - column % 4
            out += String(repeating: " ", count: pad)
            column += pad
        } else {
            out.append(character)
            column += 1
        }
    }
    return out
}
