import ScopeCore

/// A colour as the scope asks for it; the terminal maps it to what the terminal can show
/// (truecolour, 256 colours, 8 colours, or nothing under `NO_COLOR`).
public enum CellColor: Hashable, Sendable {
    /// The terminal's default foreground or background.
    case `default`
    /// One of the 256 xterm palette entries (0–15 are the basic and bright ANSI colours).
    case palette(UInt8)
    case rgb(UInt8, UInt8, UInt8)
}

/// How a cell is drawn besides its character.
public struct CellStyle: Hashable, Sendable {
    public var foreground: CellColor
    public var background: CellColor
    public var bold: Bool
    public var dim: Bool
    public var reverse: Bool
    public var underline: Bool

    public init(foreground: CellColor = .default, background: CellColor = .default, bold: Bool = false, dim: Bool = false,
                reverse: Bool = false, underline: Bool = false) {
        self.foreground = foreground
        self.background = background
        self.bold = bold
        self.dim = dim
        self.reverse = reverse
        self.underline = underline
    }

    public static let plain = CellStyle()
}

/// One character cell. A wide character (two columns) occupies its cell and marks the next one
/// as its continuation, which the terminal skips.
public struct Cell: Hashable, Sendable {
    public var character: Character
    public var style: CellStyle
    /// The right half of the wide character in the cell to the left.
    public var isContinuation: Bool

    public init(_ character: Character = " ", style: CellStyle = .plain, isContinuation: Bool = false) {
        self.character = character
        self.style = style
        self.isContinuation = isContinuation
    }

    public static let blank = Cell()
}

/// A rectangle of cells, in columns and rows from the top-left corner.
public struct Rect: Hashable, Sendable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }

    public var isEmpty: Bool { width == 0 || height == 0 }
    public var maxX: Int { x + width }
    public var maxY: Int { y + height }

    public func contains(x px: Int, y py: Int) -> Bool { px >= x && px < maxX && py >= y && py < maxY }

    /// The overlap of two rectangles (empty when they do not meet).
    public func intersection(_ other: Rect) -> Rect {
        let left = max(x, other.x)
        let top = max(y, other.y)
        return Rect(x: left, y: top, width: min(maxX, other.maxX) - left, height: min(maxY, other.maxY) - top)
    }

    /// The rectangle shrunk by `n` cells on every side.
    public func inset(by n: Int) -> Rect { Rect(x: x + n, y: y + n, width: width - 2 * n, height: height - 2 * n) }
}

/// The frame the pure widgets draw into and the terminal backend shows: no I/O, no terminal
/// state, so every frame can be built and compared in tests (golden frames). Writes outside the
/// buffer are clipped, never a crash, at any size down to 0×0.
public struct CellBuffer: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    public var area: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    public subscript(x: Int, y: Int) -> Cell {
        get { area.contains(x: x, y: y) ? cells[y * width + x] : .blank }
        set { if area.contains(x: x, y: y) { cells[y * width + x] = newValue } }
    }

    /// Fills `rect` (clipped) with `cell`.
    public mutating func fill(_ rect: Rect, with cell: Cell = .blank) {
        let r = rect.intersection(area)
        guard !r.isEmpty else { return }
        for y in r.y..<r.maxY {
            for x in r.x..<r.maxX { cells[y * width + x] = cell }
        }
    }

    /// Writes `text` from (x, y) to the right, clipped to `clip` (default: the whole buffer).
    /// Control characters are shown escaped (`\x1b`), so data can never drive the terminal;
    /// wide characters take two columns. Returns the column after the last one written.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, style: CellStyle = .plain, clip: Rect? = nil) -> Int {
        let bounds = (clip ?? area).intersection(area)
        var column = x
        for character in sanitizeForTerminal(text) {
            let width = displayWidth(of: character)
            guard column + width <= bounds.maxX else { break }
            if column >= bounds.x && bounds.contains(x: column, y: y) {
                self[column, y] = Cell(character, style: style)
                if width == 2 { self[column + 1, y] = Cell(" ", style: style, isContinuation: true) }
            }
            column += width
        }
        return column
    }

    /// The characters of the buffer, one line per row, trailing blanks kept (a golden frame).
    public var text: String {
        var lines: [String] = []
        lines.reserveCapacity(height)
        for y in 0..<height {
            var line = ""
            for x in 0..<width where !cells[y * width + x].isContinuation {
                line.append(cells[y * width + x].character)
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}

/// Columns a character takes: 2 for East Asian wide and fullwidth characters and most emoji,
/// 0 for combining marks is not modelled (they are rare in labels), 1 otherwise.
public func displayWidth(of character: Character) -> Int {
    guard let scalar = character.unicodeScalars.first else { return 1 }
    let v = scalar.value
    let wide: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
        0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1F300...0x1F64F,
        0x1F900...0x1F9FF, 0x20000...0x3FFFD,
    ]
    return wide.contains { $0.contains(v) } ? 2 : 1
}
