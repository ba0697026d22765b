/// How traces are drawn: braille dots (2×4 per cell) or, for terminals and fonts without them,
/// ASCII marks (1×3 per cell).
public enum TraceGlyphs: Sendable, Equatable {
    case braille
    case ascii

    var dotsPerCell: (x: Int, y: Int) { self == .braille ? (2, 4) : (1, 3) }
}

/// A grid of dots over a rectangle of cells. Traces set dots; the canvas then writes one
/// character per touched cell into the buffer, keeping whatever is under untouched cells
/// (the graticule). Dot (0, 0) is the top-left.
public struct DotCanvas: Sendable {
    public let rect: Rect
    public let glyphs: TraceGlyphs
    public let dotsWide: Int
    public let dotsHigh: Int
    private var masks: [UInt8]
    private var styles: [CellStyle?]

    public init(rect: Rect, glyphs: TraceGlyphs) {
        self.rect = rect
        self.glyphs = glyphs
        dotsWide = rect.width * glyphs.dotsPerCell.x
        dotsHigh = rect.height * glyphs.dotsPerCell.y
        masks = Array(repeating: 0, count: rect.width * rect.height)
        styles = Array(repeating: nil, count: rect.width * rect.height)
    }

    /// Sets the dots of column `x` from row `fromY` to `toY` (inclusive, any order), clipped.
    public mutating func setColumn(_ x: Int, fromY: Int, toY: Int, style: CellStyle) {
        guard x >= 0, x < dotsWide else { return }
        let top = max(0, min(fromY, toY)), bottom = min(dotsHigh - 1, max(fromY, toY))
        guard top <= bottom else { return }
        let (perX, perY) = glyphs.dotsPerCell
        for y in top...bottom {
            let cell = (y / perY) * rect.width + x / perX
            masks[cell] |= Self.bit(glyphs, x % perX, y % perY)
            styles[cell] = style
        }
    }

    /// Draws the touched cells into `buffer`.
    public func render(into buffer: inout CellBuffer) {
        for row in 0..<rect.height {
            for column in 0..<rect.width {
                let index = row * rect.width + column
                let mask = masks[index]
                guard mask != 0 else { continue }
                buffer[rect.x + column, rect.y + row] = Cell(Self.character(glyphs, mask), style: styles[index] ?? .plain)
            }
        }
    }

    static func bit(_ glyphs: TraceGlyphs, _ x: Int, _ y: Int) -> UInt8 {
        switch glyphs {
        case .braille:
            // Unicode's braille numbering: dots 1-3 and 4-6 down the two columns, 7 and 8 below.
            let left: [UInt8] = [0x01, 0x02, 0x04, 0x40], right: [UInt8] = [0x08, 0x10, 0x20, 0x80]
            return x == 0 ? left[y] : right[y]
        case .ascii:
            return UInt8(1 << y)
        }
    }

    static func character(_ glyphs: TraceGlyphs, _ mask: UInt8) -> Character {
        switch glyphs {
        case .braille:
            return Character(Unicode.Scalar(0x2800 + UInt32(mask))!)
        case .ascii:
            switch mask {
            case 0b001: return "'"
            case 0b010: return "-"
            case 0b100: return "."
            case 0b101: return ":"
            default: return "|"
            }
        }
    }
}
