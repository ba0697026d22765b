import CZlib

/// Why a gzip body could not be inflated.
public enum GzipError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The inflated body would exceed the limit: a gzip bomb, or just too much data. Nothing
    /// past the limit is ever allocated.
    case tooLarge(limit: Int)
    /// Not gzip, truncated, or a failed checksum; zlib's message when it gives one.
    case invalid(String)

    public var description: String {
        switch self {
        case .tooLarge(let limit): return "the decompressed body exceeds \(limit) bytes"
        case .invalid(let message): return "invalid gzip data: \(message)"
        }
    }
}

public enum Gzip {
    /// Inflates a gzip stream (one member; trailing bytes after it are an error), refusing to
    /// produce more than `limit` bytes.
    public static func decompress(_ input: [UInt8], limit: Int) throws(GzipError) -> [UInt8] {
        var stream = z_stream()
        guard strm_z_inflate_init_gzip(&stream) == Z_OK else { throw .invalid("zlib could not start") }
        defer { inflateEnd(&stream) }
        // Start near the usual 5-10x ratio, growing by doubling up to the limit.
        var output = [UInt8](repeating: 0, count: Swift.min(Swift.max(input.count * 4, 4096), limit + 1))
        var produced = 0
        var status: Int32 = Z_OK
        // zlib keeps next_in across calls, so the buffer must stay pinned: run inside one closure.
        let result: Result<Int, GzipError> = input.withUnsafeBufferPointer { inBuf in
            stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
            stream.avail_in = UInt32(inBuf.count)
            while true {
                if produced == output.count {
                    // One byte of room past the limit tells "exactly at the limit" from "over".
                    if output.count > limit { return .failure(.tooLarge(limit: limit)) }
                    // An Array of zeros (memset and memcpy inside the standard library), not an
                    // element-by-element append: that is what kept a debug build busy for seconds.
                    output += [UInt8](repeating: 0, count: Swift.min(output.count, limit + 1 - output.count))
                }
                status = output.withUnsafeMutableBufferPointer { outBuf in
                    stream.next_out = outBuf.baseAddress! + produced
                    stream.avail_out = UInt32(outBuf.count - produced)
                    let rc = inflate(&stream, Z_NO_FLUSH)
                    produced = outBuf.count - Int(stream.avail_out)
                    return rc
                }
                if produced > limit { return .failure(.tooLarge(limit: limit)) }
                switch status {
                case Z_STREAM_END:
                    if stream.avail_in != 0 { return .failure(.invalid("\(stream.avail_in) bytes after the end of the gzip stream")) }
                    return .success(produced)
                case Z_OK:
                    continue
                case Z_BUF_ERROR:
                    // No progress possible: either output is full (grow and go on) or input ran out.
                    if stream.avail_out == 0 { continue }
                    return .failure(.invalid("the stream is truncated"))
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    return .failure(.invalid(message))
                }
            }
        }
        switch result {
        case .success(let count):
            output.removeLast(output.count - count)
            return output
        case .failure(let error):
            throw error
        }
    }

    /// Deflates `input` into one gzip member. Level 1 by default: request bodies of metrics
    /// compress about 10x at it and the exporter's CPU matters more than the last 10%.
    public static func compress(_ input: [UInt8], level: Int32 = 1) -> [UInt8] {
        var stream = z_stream()
        precondition(strm_z_deflate_init_gzip(&stream, level) == Z_OK, "zlib deflateInit2 failed (out of memory)")
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, uLong(input.count))) + 32
        var output = [UInt8](repeating: 0, count: bound)
        let written: Int = input.withUnsafeBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
                stream.avail_in = UInt32(inBuf.count)
                stream.next_out = outBuf.baseAddress
                stream.avail_out = UInt32(outBuf.count)
                // deflateBound guarantees one Z_FINISH call completes.
                let rc = deflate(&stream, Z_FINISH)
                precondition(rc == Z_STREAM_END, "zlib deflate did not finish within deflateBound (\(rc))")
                return outBuf.count - Int(stream.avail_out)
            }
        }
        output.removeLast(output.count - written)
        return output
    }

    /// True when the bytes start with gzip's magic number.
    public static func looksCompressed(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
    }
}
