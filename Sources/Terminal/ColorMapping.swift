import ScopeUI

/// The colours the terminal can show, from its terminfo entry (and `NO_COLOR`).
public enum ColorSupport: Sendable, Equatable {
    case none, basic8, palette256, truecolor
}

/// Pure conversions from the scope's colours to curses colour numbers.
enum ColorMapping {
    /// The curses colour number for `color`; -1 is the terminal's own default colour.
    static func cursesColor(_ color: CellColor, support: ColorSupport) -> Int32 {
        switch (color, support) {
        case (_, .none), (.default, _):
            return -1
        case (.palette(let n), .palette256):
            return Int32(n)
        case (.palette(let n), .basic8):
            return Int32(basic8(palette: n))
        case (.palette(let n), .truecolor):
            // Direct-colour terminfo entries (xterm-direct) still send values below 8 as the
            // ANSI colours, which keeps the user's theme for the basic colours.
            if n < 8 { return Int32(n) }
            let (r, g, b) = rgb(ofPalette: n)
            return packed(r, g, b)
        case (.rgb(let r, let g, let b), .palette256):
            return Int32(nearestXterm256(r, g, b))
        case (.rgb(let r, let g, let b), .basic8):
            return Int32(basic8(r, g, b))
        case (.rgb(let r, let g, let b), .truecolor):
            return packed(r, g, b)
        }
    }

    /// 0xRRGGBB, as direct-colour terminals take it. Values below 8 would be read as ANSI
    /// colours, so those near-blacks become ANSI black.
    static func packed(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> Int32 {
        let value = Int32(r) << 16 | Int32(g) << 8 | Int32(b)
        return value < 8 ? 0 : value
    }

    static let cubeLevels: [Int] = [0, 95, 135, 175, 215, 255]

    /// The closest entry of xterm's 6×6×6 cube (16–231) or grey ramp (232–255). Entries 0–15
    /// are left out: their actual colours are the user's theme, not a known value.
    static func nearestXterm256(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        let (ri, gi, bi) = (Int(r), Int(g), Int(b))
        func cubeIndex(_ v: Int) -> Int { v < 48 ? 0 : v < 115 ? 1 : (v - 35) / 40 }
        let (cr, cg, cb) = (cubeIndex(ri), cubeIndex(gi), cubeIndex(bi))
        let cubeDistance = distance((ri, gi, bi), (cubeLevels[cr], cubeLevels[cg], cubeLevels[cb]))
        let average = (ri + gi + bi) / 3
        let greyIndex = min(23, max(0, (average - 3) / 10))
        let grey = 8 + 10 * greyIndex
        let greyDistance = distance((ri, gi, bi), (grey, grey, grey))
        if greyDistance < cubeDistance { return UInt8(232 + greyIndex) }
        return UInt8(16 + 36 * cr + 6 * cg + cb)
    }

    /// The basic ANSI colour (0–7) a palette entry is closest to in hue.
    static func basic8(palette n: UInt8) -> UInt8 {
        if n < 16 { return n % 8 }
        let (r, g, b) = rgb(ofPalette: n)
        return basic8(r, g, b)
    }

    /// The basic ANSI colour (0–7) for an rgb colour. Hue matters more than distance here:
    /// a dark red should stay red, not become black, so each channel is compared with the
    /// middle of the colour's own range. Greys become black or white (7).
    static func basic8(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        let high = max(r, g, b), low = min(r, g, b)
        if high < 64 { return 0 }
        if high - low < 32 { return 7 }
        let middle = (Int(high) + Int(low)) / 2
        var bits: UInt8 = 0
        if Int(r) > middle { bits |= 1 }
        if Int(g) > middle { bits |= 2 }
        if Int(b) > middle { bits |= 4 }
        return bits
    }

    /// xterm's default rgb for a palette entry.
    static func rgb(ofPalette n: UInt8) -> (UInt8, UInt8, UInt8) {
        let basic: [(UInt8, UInt8, UInt8)] = [
            (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
            (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
        ]
        switch n {
        case 0..<16:
            return basic[Int(n)]
        case 16..<232:
            let i = Int(n) - 16
            return (UInt8(cubeLevels[i / 36]), UInt8(cubeLevels[i / 6 % 6]), UInt8(cubeLevels[i % 6]))
        default:
            let level = UInt8(8 + 10 * (Int(n) - 232))
            return (level, level, level)
        }
    }

    private static func distance(_ a: (Int, Int, Int), _ b: (Int, Int, Int)) -> Int {
        let (dr, dg, db) = (a.0 - b.0, a.1 - b.1, a.2 - b.2)
        return dr * dr + dg * dg + db * db
    }
}
