import Foundation
import ScopeCore
import Testing

@testable import StreamLog

/// The on-disk batch format (RecordBatch.swift): encoding, decoding, header fields, varints and
/// the frame check that recovery and reads rely on.
@Suite struct BatchFormatTests {
    static let now: Int64 = 1_700_000_000_000

    /// Checks `frame` and decodes all of its records.
    func decode(_ frame: [UInt8]) throws -> (BatchFormat.Header, [Record]) {
        try frame.withUnsafeBytes { raw in
            let check = BatchFormat.check(raw)
            guard case .valid(let header) = check else {
                throw BatchFormat.DecodeError("frame does not check: \(check)")
            }
            var records: [Record] = []
            try BatchFormat.forEachRecord(in: raw, header: header) { records.append(try $0.materialize()) }
            return (header, records)
        }
    }

    @Test func roundTripPreservesKeysValuesHeadersAndTimestamps() throws {
        let binary = (0...255).map { UInt8($0) }
        let big = [UInt8](repeating: 0xAB, count: 70_000)  // length needs a 3-byte varint
        let input = [
            ProducerRecord(key: nil, value: nil),
            ProducerRecord(key: [], value: [], headers: [RecordHeader("empty", []), RecordHeader("null", nil)]),
            ProducerRecord(
                key: binary, value: binary.reversed(),
                headers: [RecordHeader("", [0, 255, 0x80]), RecordHeader("ünïcødé", "välue"), RecordHeader("dup", "first"), RecordHeader("dup", "second")],
                timestampMs: Self.now + 5_000),
            ProducerRecord(key: utf8("older"), value: utf8("explicit older timestamp"), timestampMs: Self.now - 86_400_000),
            ProducerRecord(key: utf8("k"), value: big),
        ]
        let frame = BatchFormat.encode(input, baseOffset: 42, defaultTimestampMs: Self.now)
        let (header, records) = try decode(frame)

        #expect(records.count == input.count)
        #expect(records.map(\.offset) == [42, 43, 44, 45, 46])
        #expect(records.map(\.timestampMs) == [Self.now, Self.now, Self.now + 5_000, Self.now - 86_400_000, Self.now])
        for (record, sent) in zip(records, input) {
            #expect(record.key == sent.key)
            #expect(record.value == sent.value)
            #expect(record.headers == sent.headers)
        }
        // nil and empty stay distinct.
        #expect(records[0].key == nil && records[0].value == nil)
        #expect(records[1].key == [] && records[1].value == [])
        #expect(records[1].headers[1].value == nil)
        #expect(records[1].headers[0].value == [])
        // A repeated header key: the last one wins for the lookup helper, both are kept.
        #expect(text(records[2].header("dup")) == "second")
        #expect(records[2].headers.filter { $0.key == "dup" }.count == 2)

        #expect(header.baseTimestamp == Self.now)
        #expect(header.maxTimestamp == Self.now + 5_000)
    }

    @Test func explicitFirstTimestampBecomesTheBaseTimestamp() throws {
        let frame = BatchFormat.encode(
            [ProducerRecord(key: nil, value: utf8("a"), timestampMs: 1000), ProducerRecord(key: nil, value: utf8("b"))],
            baseOffset: 0, defaultTimestampMs: 500)
        let (header, records) = try decode(frame)
        #expect(header.baseTimestamp == 1000)
        #expect(header.maxTimestamp == 1000)
        #expect(records.map(\.timestampMs) == [1000, 500])
    }

    @Test func headerFieldsWithoutProducer() throws {
        let records = (0..<3).map { ProducerRecord(key: nil, value: utf8("v\($0)")) }
        let frame = BatchFormat.encode(records, baseOffset: 1_000_000_000_000, defaultTimestampMs: Self.now)
        let (header, _) = try decode(frame)
        #expect(header.length == UInt32(frame.count - 4))
        #expect(header.frameSize == frame.count)
        #expect(header.version == BatchFormat.version)
        #expect(header.attributes == 0)
        #expect(header.baseOffset == 1_000_000_000_000)
        #expect(header.lastOffsetDelta == 2)
        #expect(header.recordCount == 3)
        #expect(header.lastOffset == 1_000_000_000_002)
        #expect(header.nextOffset == 1_000_000_000_003)
        #expect(header.producerId == BatchFormat.noProducerId)
        #expect(header.producerEpoch == -1)
        #expect(header.baseSequence == -1)
        #expect(!header.hasProducer)
        // The stored CRC is CRC32C of the length field and everything after the crc field.
        let expectedCRC = CRC32C.checksum(Array(frame[8...]), continuing: CRC32C.checksum(Array(frame[0..<4])))
        #expect(header.crc == expectedCRC)
        #expect(frame.withUnsafeBytes { BatchFormat.parseHeader($0) } == header)
    }

    @Test func headerFieldsWithProducer() throws {
        let records = (0..<4).map { ProducerRecord(key: nil, value: utf8("v\($0)")) }
        let identity = ProducerBatchIdentity(producerId: 77, epoch: 3, baseSequence: 100)
        let (header, _) = try decode(BatchFormat.encode(records, baseOffset: 9, defaultTimestampMs: Self.now, producer: identity))
        #expect(header.producerId == 77)
        #expect(header.producerEpoch == 3)
        #expect(header.baseSequence == 100)
        #expect(header.lastSequence == 103)
        #expect(header.hasProducer)
    }

    @Test func sequencesWrapAtInt32MaxBackToZero() throws {
        #expect(wrappingSequence(Int32.max, plus: 1) == 0)
        #expect(wrappingSequence(Int32.max - 1, plus: 3) == 1)
        #expect(wrappingSequence(5, plus: 0) == 5)
        let records = (0..<3).map { ProducerRecord(key: nil, value: utf8("v\($0)")) }
        let identity = ProducerBatchIdentity(producerId: 1, epoch: 0, baseSequence: Int32.max - 1)
        let (header, _) = try decode(BatchFormat.encode(records, baseOffset: 0, defaultTimestampMs: Self.now, producer: identity))
        #expect(header.lastSequence == 0)  // Int32.max − 1, Int32.max, 0
    }

    // MARK: Varints

    static let varintCases: [(Int64, [UInt8])] = [
        (0, [0x00]), (-1, [0x01]), (1, [0x02]), (-2, [0x03]), (63, [0x7E]), (-64, [0x7F]), (64, [0x80, 0x01]),
        (-65, [0x81, 0x01]), (8191, [0xFE, 0x7F]), (8192, [0x80, 0x80, 0x01]),
        (Int64(Int32.max), [0xFE, 0xFF, 0xFF, 0xFF, 0x0F]), (Int64(Int32.min), [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),
        (Int64.max, [0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
        (Int64.min, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
    ]

    @Test func varintEdgeValuesEncodeAsZigZagAndReadBack() throws {
        for (value, expected) in Self.varintCases {
            #expect(Varint.size(zigzag: value) == expected.count, "size of \(value)")
            var buffer = [UInt8](repeating: 0, count: 10)
            let written = buffer.withUnsafeMutableBytes { raw in
                var w = ByteWriter(base: raw.baseAddress!)
                w.varint(value)
                return w.offset
            }
            #expect(Array(buffer[0..<written]) == expected, "encoding of \(value)")
            let decoded = try expected.withUnsafeBytes { raw in
                var r = ByteReader(raw)
                let v = try r.varint()
                #expect(r.remaining == 0)
                return v
            }
            #expect(decoded == value)
        }
    }

    @Test func truncatedAndOverlongVarintsAreErrors() {
        for bad: [UInt8] in [[], [0x80], [0xFF, 0xFF], [UInt8](repeating: 0xFF, count: 11)] {
            bad.withUnsafeBytes { raw in
                var r = ByteReader(raw)
                #expect(throws: BatchFormat.DecodeError.self, "\(bad)") { try r.varint() }
            }
        }
    }

    // MARK: check

    func sampleFrame(baseOffset: Int64 = 5) -> [UInt8] {
        BatchFormat.encode(
            [ProducerRecord(key: utf8("key"), value: utf8("value"), headers: [RecordHeader("h", "x")]), ProducerRecord(key: nil, value: utf8("second"))],
            baseOffset: baseOffset, defaultTimestampMs: Self.now, producer: ProducerBatchIdentity(producerId: 3, epoch: 1, baseSequence: 7))
    }

    func check(_ bytes: [UInt8], verifyCRC: Bool = true) -> BatchFormat.FrameCheck {
        bytes.withUnsafeBytes { BatchFormat.check($0, verifyCRC: verifyCRC) }
    }

    func isInvalid(_ result: BatchFormat.FrameCheck) -> Bool {
        if case .invalid = result { return true }
        return false
    }

    func reason(_ result: BatchFormat.FrameCheck) -> String? {
        if case .invalid(let reason) = result { return reason }
        return nil
    }

    @Test func shortBuffersAreIncomplete() {
        let frame = sampleFrame()
        for size in 0..<4 {
            #expect(check(Array(frame[0..<size])) == .incomplete(frameSize: nil), "prefix of \(size) bytes")
        }
        for size in 4..<frame.count {
            #expect(check(Array(frame[0..<size])) == .incomplete(frameSize: frame.count), "prefix of \(size) bytes")
        }
        guard case .valid = check(frame) else {
            Issue.record("the whole frame must check")
            return
        }
        // Bytes after the frame belong to the next one and do not matter.
        guard case .valid(let header) = check(frame + [1, 2, 3]) else {
            Issue.record("a frame followed by more bytes must check")
            return
        }
        #expect(header.frameSize == frame.count)
    }

    @Test func impossibleLengthsAreInvalidNotIncomplete() {
        let frame = sampleFrame()
        func withLength(_ length: UInt32) -> [UInt8] {
            var copy = frame
            copy[0] = UInt8(length >> 24)
            copy[1] = UInt8(truncatingIfNeeded: length >> 16)
            copy[2] = UInt8(truncatingIfNeeded: length >> 8)
            copy[3] = UInt8(truncatingIfNeeded: length)
            return copy
        }
        for length: UInt32 in [0, 1, UInt32(BatchFormat.headerSize - 5), UInt32(BatchFormat.maxFrameLength + 1), UInt32.max] {
            // Even from just the length field: a garbage length must not make a reader wait for more.
            #expect(isInvalid(check(Array(withLength(length)[0..<4]))), "length \(length), 4 bytes")
            #expect(isInvalid(check(withLength(length))), "length \(length)")
        }
    }

    @Test func wrongVersionAttributesCountsAndOffsetsAreInvalid() throws {
        let frame = sampleFrame()
        var version = frame
        version[8] = 2
        #expect(reason(check(resealed(version)))?.contains("version") == true)
        #expect(reason(check(version))?.contains("CRC") == true, "without a fresh CRC the checksum catches it first")

        var attributes = frame
        attributes[10] = 1
        #expect(reason(check(resealed(attributes)))?.contains("attributes") == true)

        var count = frame
        count[56] = 3  // recordCount 2 → 3, lastOffsetDelta still 1
        #expect(reason(check(resealed(count)))?.contains("record count") == true)

        var negative = frame
        negative[11] = 0xFF  // base offset with the sign bit set
        #expect(reason(check(resealed(negative)))?.contains("base offset") == true)

        var payload = frame
        payload[frame.count - 1] ^= 0x01
        #expect(reason(check(payload))?.contains("CRC") == true)
        guard case .valid = check(payload, verifyCRC: false) else {
            Issue.record("verifyCRC: false checks framing only")
            return
        }
    }

    @Test func checkDetectsEverySingleBitFlip() {
        let frame = sampleFrame()
        let next = sampleFrame(baseOffset: 7)
        var missed: [String] = []
        for byte in 0..<frame.count {
            for bit in 0..<8 {
                var damaged = frame
                damaged[byte] ^= UInt8(1) << bit
                if case .valid = check(damaged) { missed.append("alone: byte \(byte) bit \(bit)") }
                // Inside a segment, with the next batch after it.
                if case .valid = check(damaged + next) { missed.append("followed: byte \(byte) bit \(bit)") }
            }
        }
        #expect(missed.isEmpty, "undetected flips: \(missed)")
    }

    // MARK: Records of intact but malformed frames

    @Test func recordsBeyondTheDeclaredCountAreReportedNotRead() throws {
        let frame = BatchFormat.encode(
            [ProducerRecord(key: nil, value: utf8("a")), ProducerRecord(key: nil, value: utf8("b"))], baseOffset: 0,
            defaultTimestampMs: Self.now)
        // Claim one record (count 1, last offset delta 0) while two are stored.
        var fewer = frame
        fewer[22] = 0
        fewer[56] = 1
        let crafted = resealed(fewer)
        #expect(throws: BatchFormat.DecodeError.self) { try decode(crafted) }

        // Claim three records while two are stored: the walk stops at the end of the frame.
        var more = frame
        more[22] = 2
        more[56] = 3
        let crafted2 = resealed(more)
        #expect(throws: BatchFormat.DecodeError.self) { try decode(crafted2) }
    }

    @Test func recordLengthRunningPastTheBatchIsReported() throws {
        var frame = BatchFormat.encode([ProducerRecord(key: nil, value: utf8("abc"))], baseOffset: 0, defaultTimestampMs: Self.now)
        frame[BatchFormat.headerSize] = 0x7E  // record length varint: 63, more than what follows
        let crafted = resealed(frame)
        #expect(throws: BatchFormat.DecodeError.self) { try decode(crafted) }
    }
}
