import CCurl
import Foundation

/// One HTTP request, as the collectors and exporters make them.
public struct HTTPRequest: Sendable {
    public var url: String
    public var method: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]?
    /// Whole-request deadline: connect, send, wait and read.
    public var timeoutMs: Int64
    /// The response body (after decompression) may not exceed this; a larger one is an error,
    /// never a memory blow-up.
    public var maxResponseBytes: Int

    public init(
        url: String, method: String = "GET", headers: [(name: String, value: String)] = [], body: [UInt8]? = nil,
        timeoutMs: Int64 = 10_000, maxResponseBytes: Int = 32 << 20
    ) {
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
        self.timeoutMs = timeoutMs
        self.maxResponseBytes = maxResponseBytes
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names in lower case; a repeated header keeps its last value.
    public var headers: [String: String]
    public var body: [UInt8]

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

public enum HTTPError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidURL(String)
    case timedOut(url: String, afterMs: Int64)
    case tooLarge(url: String, limit: Int)
    case transport(url: String, reason: String)

    public var description: String {
        switch self {
        case .invalidURL(let url): "invalid URL \"\(url)\" (expected http:// or https://)"
        case .timedOut(let url, let ms): "\(url): no complete response within \(ms) ms"
        case .tooLarge(let url, let limit): "\(url): response larger than the \(limit)-byte limit"
        case .transport(let url, let reason): "\(url): \(reason)"
        }
    }
}

/// HTTP(S) through libcurl: gzip/deflate decoded transparently, redirects followed (at most 5),
/// only http and https allowed, no signals (safe on any thread).
public enum HTTPClient {
    private static let initialized: Bool = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
        return true
    }()

    public static func perform(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        guard request.url.hasPrefix("http://") || request.url.hasPrefix("https://") else { throw .invalidURL(request.url) }
        _ = initialized
        guard let handle = curl_easy_init() else { throw .transport(url: request.url, reason: "cannot create a curl handle") }
        defer { curl_easy_cleanup(handle) }
        let sink = ResponseSink(limit: request.maxResponseBytes)
        let context = Unmanaged.passUnretained(sink).toOpaque()
        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        defer { curl_slist_free_all(headerList) }
        for (name, value) in request.headers { headerList = curl_slist_append(headerList, "\(name): \(value)") }

        strm_curl_set_string(handle, CURLOPT_URL, request.url)
        strm_curl_set_long(handle, CURLOPT_NOSIGNAL, 1)
        strm_curl_set_long(handle, CURLOPT_TIMEOUT_MS, Int(request.timeoutMs))
        strm_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(request.timeoutMs))
        strm_curl_set_string(handle, CURLOPT_ACCEPT_ENCODING, "")  // every encoding curl can decode
        strm_curl_set_long(handle, CURLOPT_FOLLOWLOCATION, 1)
        strm_curl_set_long(handle, CURLOPT_MAXREDIRS, 5)
        strm_curl_set_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
        strm_curl_set_string(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        strm_curl_set_string(handle, CURLOPT_USERAGENT, "strmscope/0.1")
        strm_curl_set_headers(handle, headerList)
        strm_curl_set_write_function(handle, { data, size, count, context in
            Unmanaged<ResponseSink>.fromOpaque(context!).takeUnretainedValue().appendBody(data, size * count)
        })
        strm_curl_set_pointer(handle, CURLOPT_WRITEDATA, context)
        strm_curl_set_header_function(handle, { data, size, count, context in
            Unmanaged<ResponseSink>.fromOpaque(context!).takeUnretainedValue().appendHeader(data, size * count)
        })
        strm_curl_set_pointer(handle, CURLOPT_HEADERDATA, context)
        if request.method != "GET" { strm_curl_set_string(handle, CURLOPT_CUSTOMREQUEST, request.method) }

        let code: CURLcode = request.body.map { body in
            body.withUnsafeBytes { raw in
                strm_curl_set_post_body(handle, raw.baseAddress, raw.count)
                return curl_easy_perform(handle)
            }
        } ?? curl_easy_perform(handle)

        if sink.exceeded { throw .tooLarge(url: request.url, limit: request.maxResponseBytes) }
        if code == CURLE_OPERATION_TIMEDOUT { throw .timedOut(url: request.url, afterMs: request.timeoutMs) }
        guard code == CURLE_OK else {
            throw .transport(url: request.url, reason: String(cString: curl_easy_strerror(code)))
        }
        var status = 0
        strm_curl_get_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, headers: sink.headers, body: sink.body)
    }
}

/// Collects a response inside curl's callbacks (one request, one thread).
private final class ResponseSink {
    let limit: Int
    var body: [UInt8] = []
    var headers: [String: String] = [:]
    var exceeded = false

    init(limit: Int) { self.limit = limit }

    func appendBody(_ data: UnsafeMutablePointer<CChar>?, _ count: Int) -> Int {
        guard let data, count > 0 else { return 0 }
        guard body.count + count <= limit else {
            exceeded = true
            return 0  // makes curl stop with a write error
        }
        body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: count))
        return count
    }

    func appendHeader(_ data: UnsafeMutablePointer<CChar>?, _ count: Int) -> Int {
        guard let data, count > 0 else { return 0 }
        let line = String(decoding: UnsafeRawBufferPointer(start: data, count: count), as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            headers = [:]  // a new response (after a redirect or 100-continue) starts over
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].lowercased()
            // Foundation's trim works on scalars: "\r\n" is a single Character to Swift.
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
            headers[name] = value
        }
        return count
    }
}
