/// A cursor over protobuf wire-format bytes: the receiver's hot path reads OTLP requests with it
/// straight into Prometheus series, without building the generated message tree (which costs
/// more than the whole mapping). Every read is bounds-checked and throws on malformed input.
struct WireReader {
    let bytes: UnsafeRawBufferPointer
    var position: Int
    let end: Int

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        self.position = 0
        self.end = bytes.count
    }

    init(_ bytes: UnsafeRawBufferPointer, range: Range<Int>) {
        self.bytes = bytes
        self.position = range.lowerBound
        self.end = range.upperBound
    }

    var atEnd: Bool { position >= end }

    enum WireType: UInt64 { case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5 }

    struct Tag {
        var field: UInt64
        var wireType: WireType
    }

    static func malformed(_ what: String) -> OTLPDecodeError {
        OTLPDecodeError("invalid protobuf ExportMetricsServiceRequest: \(what)")
    }

    mutating func varint() throws(OTLPDecodeError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else { throw Self.malformed("the message is truncated") }
            let byte = bytes[position]
            position += 1
            // Bits past the 64th in a 10th byte are dropped, as swift-protobuf and the Go and C++
            // decoders do (a stricter reader would refuse what they accept).
            result |= UInt64(byte & 0x7f) << shift
            if byte < 0x80 { return result }
            shift += 7
            if shift > 63 { throw Self.malformed("a varint is longer than 10 bytes") }
        }
    }

    mutating func tag() throws(OTLPDecodeError) -> Tag {
        let raw = try varint()
        guard let type = WireType(rawValue: raw & 7), raw >> 3 != 0, raw >> 3 <= 0x1fff_ffff else {
            throw Self.malformed("malformed protobuf")
        }
        return Tag(field: raw >> 3, wireType: type)
    }

    /// The bytes the tag took on the wire (a varint of field << 3 | type).
    static func tagSize(_ tag: Tag) -> Int {
        var raw = tag.field << 3 | tag.wireType.rawValue, size = 1
        while raw >= 0x80 { raw >>= 7; size += 1 }
        return size
    }

    mutating func fixed64() throws(OTLPDecodeError) -> UInt64 {
        guard end - position >= 8 else { throw Self.malformed("the message is truncated") }
        let value = bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self)
        position += 8
        return UInt64(littleEndian: value)
    }

    mutating func double() throws(OTLPDecodeError) -> Double { Double(bitPattern: try fixed64()) }

    /// The range of a length-delimited field's payload (the cursor moves past it).
    mutating func lengthDelimited() throws(OTLPDecodeError) -> Range<Int> {
        let length = try varint()
        guard length <= UInt64(end - position) else { throw Self.malformed("the message is truncated") }
        let range = position..<(position + Int(length))
        position = range.upperBound
        return range
    }

    func string(_ range: Range<Int>) throws(OTLPDecodeError) -> String {
        guard let text = String(validating: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self) else {
            throw Self.malformed("a string field is not valid UTF-8")
        }
        return text
    }

    /// Skips a field of this type; groups (legal on the wire, unused by OTLP) are skipped whole.
    mutating func skip(_ tag: Tag, depth: Int = 0) throws(OTLPDecodeError) {
        switch tag.wireType {
        case .varint: _ = try varint()
        case .fixed64: position += 8
        case .fixed32: position += 4
        case .lengthDelimited: _ = try lengthDelimited()
        case .startGroup:
            guard depth < 64 else { throw Self.malformed("messages nested too deeply") }
            while true {
                let inner = try self.tag()
                if inner.wireType == .endGroup {
                    guard inner.field == tag.field else { throw Self.malformed("malformed protobuf") }
                    break
                }
                try skip(inner, depth: depth + 1)
            }
        case .endGroup:
            throw Self.malformed("malformed protobuf")
        }
        guard position <= end else { throw Self.malformed("the message is truncated") }
    }

    /// Calls `body` for each field of the message in `range`, handing it a reader positioned at
    /// the field's payload; whatever `body` does not consume is skipped.
    static func fields(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>,
                       _ body: (Tag, inout WireReader) throws(OTLPDecodeError) -> Bool) throws(OTLPDecodeError) {
        var reader = WireReader(bytes, range: range)
        while !reader.atEnd {
            let tag = try reader.tag()
            let start = reader.position
            if try !body(tag, &reader) {
                reader.position = start
                try reader.skip(tag)
            }
        }
    }

    /// A repeated varint field (uint64), packed or one by one.
    mutating func repeatedVarint(_ tag: Tag, into values: inout [UInt64]) throws(OTLPDecodeError) {
        switch tag.wireType {
        case .varint:
            values.append(try varint())
        case .lengthDelimited:
            var inner = WireReader(bytes, range: try lengthDelimited())
            while !inner.atEnd { values.append(try inner.varint()) }
        default:
            throw Self.malformed("wrong wire type for a varint field")
        }
    }

    /// A sint32 (zigzag-encoded varint).
    mutating func sint32() throws(OTLPDecodeError) -> Int32 {
        let raw = try varint()
        return Int32(truncatingIfNeeded: Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1))))
    }

    /// A repeated scalar field that may come packed (one length-delimited run) or one by one.
    /// Callers route only those two wire types here; any other is an unknown field.
    mutating func repeatedFixed64(_ tag: Tag, into values: inout [UInt64]) throws(OTLPDecodeError) {
        switch tag.wireType {
        case .fixed64:
            values.append(try fixed64())
        case .lengthDelimited:
            let range = try lengthDelimited()
            guard range.count % 8 == 0 else { throw Self.malformed("a packed fixed64 field has \(range.count) bytes") }
            var inner = WireReader(bytes, range: range)
            while !inner.atEnd { values.append(try inner.fixed64()) }
        default:
            throw Self.malformed("wrong wire type for a fixed64 field")
        }
    }
}
