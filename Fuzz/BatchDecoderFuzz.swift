// libFuzzer entry for the log's on-disk decoders: batch framing and records, the offset index and
// the producer-state snapshot. Any input must give a verdict (valid, incomplete, invalid) — never
// a crash, a hang or a read out of bounds. Built by scripts/fuzz together with StreamLog's sources.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    if case .valid(let header) = BatchFormat.check(bytes) {
        let frame = UnsafeRawBufferPointer(rebasing: bytes[0..<header.frameSize])
        try? BatchFormat.forEachRecord(in: frame, header: header) { view in
            _ = try view.materialize()
        }
    }
    // The same bytes without a CRC check reach the record decoder more often.
    if size >= BatchFormat.headerSize {
        var header = BatchFormat.parseHeader(bytes)
        header.length = UInt32(size - 4)
        if header.recordCount >= 0 && header.recordCount < 100_000 {
            try? BatchFormat.forEachRecord(in: bytes, header: header) { view in
                _ = try view.materialize()
            }
        }
    }
    let array = Array(bytes)
    _ = OffsetIndex.parse(array, segmentSize: 1 << 20)
    _ = ProducerStateTable.parse(array)
    return 0
}
