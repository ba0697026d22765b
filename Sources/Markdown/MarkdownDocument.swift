import CCMark
import ScopeCore

/// Markdown (a runbook) as the viewer draws it: CommonMark parsed by cmark (the reference
/// implementation), walked once into these value types so layout and tests need no C.
///
/// Invariants: container nesting (lists, items, quotes) is at most `maxDepth` deep — deeper
/// containers are flattened into the one at the limit, so laying out a hostile file cannot
/// recurse without bound; text is kept as written (escaping happens at layout).
public struct MarkdownDocument: Sendable, Hashable {
    /// How a run of text is set: the emphasis around it and the link it belongs to.
    public struct SpanStyle: Sendable, Hashable {
        public var emphasis = false
        public var strong = false
        public var code = false
        /// The destination of the link (or image) this text is inside.
        public var link: String?
        /// Text the viewer adds (where a non-web link leads): drawn dim.
        public var note = false

        public init(emphasis: Bool = false, strong: Bool = false, code: Bool = false, link: String? = nil, note: Bool = false) {
            self.emphasis = emphasis
            self.strong = strong
            self.code = code
            self.link = link
            self.note = note
        }
    }

    public enum Inline: Sendable, Hashable {
        case text(String, SpanStyle)
        /// A line break in the source inside a paragraph: a space when wrapped (kept to find tables).
        case softBreak
        /// A forced line break (two trailing spaces or a backslash).
        case hardBreak
    }

    public indirect enum Block: Sendable, Hashable {
        case heading(level: Int, [Inline])
        case paragraph([Inline])
        /// Fenced or indented code, and raw HTML blocks: shown line by line as written.
        case code([String])
        case list(ordered: Bool, start: Int, tight: Bool, items: [[Block]])
        case quote([Block])
        case rule
        /// A pipe table (a GitHub extension plain CommonMark reads as a paragraph): rows of cells,
        /// the header first, the delimiter row dropped.
        case table([[[Inline]]])
    }

    public var blocks: [Block]

    /// Containers nested deeper than this are flattened into their parent.
    public static let maxDepth = 12

    public init(blocks: [Block]) {
        self.blocks = blocks
    }

    public init(markdown: String) {
        var text = markdown
        let root: OpaquePointer? = text.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { cmark_parse_document($0.baseAddress, $0.count, CMARK_OPT_DEFAULT) }
        }
        guard let root else {
            blocks = [.paragraph([.text(markdown, SpanStyle())])]
            return
        }
        defer { cmark_node_free(root) }
        var builder = Builder()
        let iterator = cmark_iter_new(root)
        defer { cmark_iter_free(iterator) }
        while true {
            let event = cmark_iter_next(iterator)
            if event == CMARK_EVENT_DONE { break }
            builder.visit(cmark_iter_get_node(iterator), entering: event == CMARK_EVENT_ENTER)
        }
        blocks = builder.stack.first?.blocks ?? []
    }

    /// Turns cmark's enter/exit events into blocks with an explicit stack (no recursion).
    struct Builder {
        enum Kind { case document, quote, list(ordered: Bool, start: Int, tight: Bool), item, flattened }
        struct Frame {
            var kind: Kind
            var blocks: [Block] = []
            var items: [[Block]] = []
        }

        var stack = [Frame(kind: .document)]
        var inlines: [Inline] = []
        var styles = [SpanStyle()]
        /// Where each open link's text starts in `inlines` (to tell whether the text is the URL).
        var linkStarts: [Int] = []

        mutating func visit(_ node: OpaquePointer?, entering: Bool) {
            let type = cmark_node_get_type(node)
            func literal() -> String { cmark_node_get_literal(node).map { String(cString: $0) } ?? "" }
            switch type {
            case CMARK_NODE_BLOCK_QUOTE, CMARK_NODE_LIST, CMARK_NODE_ITEM:
                entering ? open(type, node) : close(type)
            case CMARK_NODE_PARAGRAPH, CMARK_NODE_HEADING:
                if entering {
                    inlines = []
                    styles = [SpanStyle()]
                    linkStarts = []
                } else if type == CMARK_NODE_HEADING {
                    append(.heading(level: Int(cmark_node_get_heading_level(node)), inlines))
                } else {
                    append(Self.table(inlines).map(Block.table) ?? .paragraph(inlines))
                }
            case CMARK_NODE_CODE_BLOCK, CMARK_NODE_HTML_BLOCK:
                var lines = literal().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                if lines.last == "" { lines.removeLast() }
                append(.code(lines))
            case CMARK_NODE_THEMATIC_BREAK:
                append(.rule)
            case CMARK_NODE_TEXT, CMARK_NODE_HTML_INLINE:
                inlines.append(.text(literal(), styles[styles.count - 1]))
            case CMARK_NODE_CODE:
                var style = styles[styles.count - 1]
                style.code = true
                inlines.append(.text(literal(), style))
            case CMARK_NODE_SOFTBREAK:
                inlines.append(.softBreak)
            case CMARK_NODE_LINEBREAK:
                inlines.append(.hardBreak)
            case CMARK_NODE_EMPH, CMARK_NODE_STRONG, CMARK_NODE_LINK, CMARK_NODE_IMAGE:
                if entering {
                    var style = styles[styles.count - 1]
                    if type == CMARK_NODE_EMPH { style.emphasis = true }
                    if type == CMARK_NODE_STRONG { style.strong = true }
                    if type == CMARK_NODE_LINK || type == CMARK_NODE_IMAGE {
                        style.link = cmark_node_get_url(node).map { String(cString: $0) } ?? ""
                        linkStarts.append(inlines.count)
                    }
                    styles.append(style)
                } else {
                    let style = styles.removeLast()
                    if type == CMARK_NODE_LINK || type == CMARK_NODE_IMAGE, let start = linkStarts.popLast() {
                        endLink(style.link ?? "", textStart: start)
                    }
                }
            default:
                break
            }
        }

        /// A link that cannot be opened from the terminal (a relative file, an anchor) says where
        /// it leads, unless its text already is the destination.
        mutating func endLink(_ url: String, textStart: Int) {
            guard !url.isEmpty, !isWebURL(url) else { return }
            let text = inlines[textStart...].map { if case .text(let t, _) = $0 { t } else { " " } }.joined()
            guard text != url else { return }
            inlines.append(.text(" (\(url))", SpanStyle(note: true)))
        }

        mutating func append(_ block: Block) {
            stack[stack.count - 1].blocks.append(block)
        }

        mutating func open(_ type: cmark_node_type, _ node: OpaquePointer?) {
            guard stack.count <= MarkdownDocument.maxDepth else {
                stack.append(Frame(kind: .flattened))
                return
            }
            switch type {
            case CMARK_NODE_LIST:
                stack.append(Frame(kind: .list(ordered: cmark_node_get_list_type(node) == CMARK_ORDERED_LIST,
                                               start: Int(cmark_node_get_list_start(node)), tight: cmark_node_get_list_tight(node) != 0)))
            case CMARK_NODE_ITEM: stack.append(Frame(kind: .item))
            default: stack.append(Frame(kind: .quote))
            }
        }

        mutating func close(_ type: cmark_node_type) {
            guard stack.count > 1 else { return }
            let frame = stack.removeLast()
            let parent = stack.count - 1
            switch (type, frame.kind, stack[parent].kind) {
            case (CMARK_NODE_ITEM, _, .list):
                stack[parent].items.append(frame.blocks)
            case (CMARK_NODE_LIST, .list(let ordered, let start, let tight), _):
                stack[parent].blocks.append(.list(ordered: ordered, start: start, tight: tight, items: frame.items))
            case (CMARK_NODE_BLOCK_QUOTE, .quote, _):
                stack[parent].blocks.append(.quote(frame.blocks))
            default:
                // Flattened (too deep): the content joins the parent, items one after another.
                stack[parent].blocks += frame.blocks + frame.items.flatMap { $0 }
            }
        }

        /// A paragraph whose every source line starts with `|` and whose second line is a
        /// delimiter row (`|---|:--:|`) is a pipe table: its rows split at the `|` outside code.
        static func table(_ inlines: [Inline]) -> [[[Inline]]]? {
            var rows: [[Inline]] = [[]]
            for inline in inlines {
                if inline == .softBreak { rows.append([]) } else { rows[rows.count - 1].append(inline) }
            }
            guard rows.count >= 2 else { return nil }
            func plain(_ row: [Inline]) -> String { row.map { if case .text(let t, _) = $0 { t } else { "\n" } }.joined() }
            guard rows.allSatisfy({ plain($0).trimmingPrefixSpaces.hasPrefix("|") }) else { return nil }
            let delimiter = plain(rows[1])
            guard delimiter.contains("-"), delimiter.allSatisfy({ "|-: ".contains($0) }) else { return nil }
            rows.remove(at: 1)
            return rows.map(cells)
        }

        /// One table row's cells: text split at `|` (not inside code spans), the outer pipes and
        /// the spaces around each cell dropped.
        static func cells(_ row: [Inline]) -> [[Inline]] {
            var cells: [[Inline]] = [[]]
            for inline in row {
                guard case .text(let text, let style) = inline, !style.code, text.contains("|") else {
                    cells[cells.count - 1].append(inline)
                    continue
                }
                for (index, piece) in text.split(separator: "|", omittingEmptySubsequences: false).enumerated() {
                    if index > 0 { cells.append([]) }
                    if !piece.isEmpty { cells[cells.count - 1].append(.text(String(piece), style)) }
                }
            }
            if cells.first.map(isBlank) == true { cells.removeFirst() }
            if cells.count > 1, cells.last.map(isBlank) == true { cells.removeLast() }
            return cells.map(trimmed)
        }

        static func isBlank(_ cell: [Inline]) -> Bool {
            cell.allSatisfy { if case .text(let t, _) = $0 { t.allSatisfy(\.isWhitespace) } else { true } }
        }

        static func trimmed(_ cell: [Inline]) -> [Inline] {
            var cell = cell
            if case .text(let t, let s) = cell.first { cell[0] = .text(String(t.drop { $0 == " " }), s) }
            if case .text(let t, let s) = cell.last { cell[cell.count - 1] = .text(String(t.reversed().drop { $0 == " " }.reversed()), s) }
            return cell.filter { if case .text(let t, _) = $0 { !t.isEmpty } else { true } }
        }
    }
}

private extension String {
    var trimmingPrefixSpaces: Substring { drop { $0 == " " } }
}
