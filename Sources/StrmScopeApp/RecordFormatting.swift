import Foundation
import ScopeCore
import StreamLog

/// How `log consume` prints records.
public enum RecordFormat: String, CaseIterable, Sendable {
    /// `PARTITION OFFSET KEY VALUE`, one line per record; control characters and invalid UTF-8
    /// are shown as `\xNN` so a record can never inject terminal sequences or split lines.
    case text
    /// One JSON object per line with exact bytes: UTF-8 strings, or `*_base64` when not UTF-8.
    case json
}

enum RecordFormatter {
    static func format(_ record: ConsumedRecord, as format: RecordFormat) -> String {
        switch format {
        case .text: text(record)
        case .json: json(record)
        }
    }

    static func text(_ consumed: ConsumedRecord) -> String {
        let key = consumed.record.key.map { escapeForTerminal($0, escapeSpaces: true) } ?? "null"
        let value = consumed.record.value.map { escapeForTerminal($0, escapeSpaces: false) } ?? "null"
        return "\(consumed.partition) \(consumed.offset) \(key) \(value)"
    }

    /// Shows bytes as text, escaping what a terminal would interpret (C0 controls, DEL, C1
    /// controls) and invalid UTF-8 as `\xNN`. Keys also escape spaces so the columns stay parseable.
    static func escapeForTerminal(_ bytes: [UInt8], escapeSpaces: Bool) -> String {
        var out = ""
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b < 0x80 {
                if b < 0x20 || b == 0x7F || (escapeSpaces && b == 0x20) {
                    out += hexEscape(b)
                } else {
                    out.unicodeScalars.append(Unicode.Scalar(b))
                }
                i += 1
                continue
            }
            let length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
            if length > 1, i + length <= bytes.count,
                let s = String(validating: bytes[i..<(i + length)], as: UTF8.self), let scalar = s.unicodeScalars.first,
                !(0x80...0x9F).contains(scalar.value)
            {
                out += s
                i += length
            } else {
                out += hexEscape(b)
                i += 1
            }
        }
        return out
    }

    private static func hexEscape(_ b: UInt8) -> String {
        let digits = String(b, radix: 16)
        return "\\x" + (digits.count == 1 ? "0" + digits : digits)
    }

    static func json(_ consumed: ConsumedRecord) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(JSONRecord(consumed)) else { return "{}" }
        return jsonEscapingControls(String(decoding: data, as: UTF8.self))
    }
}

/// The JSON shape of a consumed record. Bytes that are valid UTF-8 are strings; others are given
/// base64-encoded under `<field>_base64`, so every byte survives.
private struct JSONRecord: Encodable {
    let consumed: ConsumedRecord

    init(_ consumed: ConsumedRecord) { self.consumed = consumed }

    typealias KeyType = Key

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    private struct Header: Encodable {
        let header: RecordHeader

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(header.key, forKey: Key("key"))
            try encodeBytes(header.value, name: "value", into: &c)
        }
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(consumed.topic, forKey: Key("topic"))
        try c.encode(consumed.partition, forKey: Key("partition"))
        try c.encode(consumed.offset, forKey: Key("offset"))
        try c.encode(consumed.record.timestampMs, forKey: Key("timestamp"))
        try encodeBytes(consumed.record.key, name: "key", into: &c)
        try encodeBytes(consumed.record.value, name: "value", into: &c)
        try c.encode(consumed.record.headers.map(Header.init), forKey: Key("headers"))
    }
}

private func encodeBytes(_ bytes: [UInt8]?, name: String, into c: inout KeyedEncodingContainer<JSONRecord.KeyType>) throws {
    guard let bytes else {
        try c.encodeNil(forKey: .init(name))
        return
    }
    if let text = String(validating: bytes, as: UTF8.self) {
        try c.encode(text, forKey: .init(name))
    } else {
        try c.encode(Data(bytes).base64EncodedString(), forKey: .init(name + "_base64"))
    }
}
