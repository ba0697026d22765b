// Go's quoting (strconv.Quote, QuoteRune, QuoteToASCII; fmt's %q), which the messages of the
// Prometheus tools we match are written with: template functions, PromQL errors, promtool's
// text-format errors. Quoted text is also safe to print: control, format and bidi characters
// and invalid UTF-8 come out as escapes.

/// unicode.IsPrint: letters, marks, numbers, punctuation and symbols (of the spaces only U+0020).
public func goIsPrint(_ c: Unicode.Scalar) -> Bool {
    if c.isASCII { return c.value >= 0x20 && c.value < 0x7F }
    switch c.properties.generalCategory {
    case .control, .format, .surrogate, .privateUse, .unassigned, .spaceSeparator, .lineSeparator, .paragraphSeparator: return false
    default: return true
    }
}

/// strconv.Quote (`quote` "), QuoteRune (`quote` '), QuoteToASCII (`asciiOnly`) of a string.
public func strconvQuote(_ s: String, quote: Unicode.Scalar = "\"", asciiOnly: Bool = false) -> String {
    strconvQuote(bytes: Array(s.utf8), quote: quote, asciiOnly: asciiOnly)
}

/// The same of raw bytes, as Go quotes a string that is not valid UTF-8: each byte that does not
/// start a valid sequence is `\xNN`.
public func strconvQuote(bytes: [UInt8], quote: Unicode.Scalar = "\"", asciiOnly: Bool = false) -> String {
    var out = String.UnicodeScalarView([quote])
    func hex(_ v: UInt32, _ width: Int) -> String {
        let h = String(v, radix: 16)
        return String(repeating: "0", count: max(0, width - h.count)) + h
    }
    var i = 0
    while i < bytes.count {
        guard let (c, length) = decodeUTF8Scalar(bytes, at: i) else {
            out.append(contentsOf: ("\\x" + hex(UInt32(bytes[i]), 2)).unicodeScalars)
            i += 1
            continue
        }
        i += length
        let escaped: String
        switch c {
        case quote, "\\": escaped = "\\" + String(c)
        case "\u{07}": escaped = "\\a"
        case "\u{08}": escaped = "\\b"
        case "\u{0C}": escaped = "\\f"
        case "\n": escaped = "\\n"
        case "\r": escaped = "\\r"
        case "\t": escaped = "\\t"
        case "\u{0B}": escaped = "\\v"
        default:
            if c.isASCII ? c.value >= 0x20 && c.value < 0x7F : !asciiOnly && goIsPrint(c) {
                out.append(c)
                continue
            }
            escaped = c.value < 0x80 ? "\\x" + hex(c.value, 2) : c.value <= 0xFFFF ? "\\u" + hex(c.value, 4) : "\\U" + hex(c.value, 8)
        }
        out.append(contentsOf: escaped.unicodeScalars)
    }
    out.append(quote)
    return String(out)
}

/// The scalar whose UTF-8 encoding starts at `i` and its length; nil when the bytes there are
/// not one (Go's utf8.DecodeRune: overlong forms, surrogates and values past U+10FFFF are invalid).
func decodeUTF8Scalar(_ bytes: [UInt8], at i: Int) -> (Unicode.Scalar, Int)? {
    let b0 = bytes[i]
    if b0 < 0x80 { return (Unicode.Scalar(b0), 1) }
    let length: Int, minimum: UInt32
    var value: UInt32
    switch b0 {
    case 0xC2...0xDF: (length, minimum, value) = (2, 0x80, UInt32(b0 & 0x1F))
    case 0xE0...0xEF: (length, minimum, value) = (3, 0x800, UInt32(b0 & 0x0F))
    case 0xF0...0xF4: (length, minimum, value) = (4, 0x10000, UInt32(b0 & 0x07))
    default: return nil
    }
    guard i + length <= bytes.count else { return nil }
    for k in 1..<length {
        let b = bytes[i + k]
        guard b & 0xC0 == 0x80 else { return nil }
        value = value << 6 | UInt32(b & 0x3F)
    }
    guard value >= minimum, let scalar = Unicode.Scalar(value) else { return nil }
    return (scalar, length)
}
