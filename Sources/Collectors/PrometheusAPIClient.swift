import Foundation
import ScopeCore

/// A client of the Prometheus HTTP API (`/api/v1/query`, `/api/v1/query_range`), which Thanos,
/// Mimir, VictoriaMetrics and Cortex also serve: draw and evaluate against a server directly,
/// or backfill the local store at start.
public struct PrometheusAPIClient: Sendable {
    public var baseURL: String
    public var timeoutMs: Int64
    public var headers: [(name: String, value: String)]

    public init(baseURL: String, timeoutMs: Int64 = 30_000, headers: [(name: String, value: String)] = []) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.timeoutMs = timeoutMs
        self.headers = headers
    }

    public enum APIError: Error, Sendable, Equatable, CustomStringConvertible {
        case http(HTTPError)
        /// The server answered with `"status":"error"`.
        case query(status: Int, type: String, message: String)
        case unexpectedResponse(String)

        public var description: String {
            switch self {
            case .http(let error): "\(error)"
            case let .query(status, type, message): "Prometheus rejected the query (HTTP \(status), \(type)): \(message)"
            case .unexpectedResponse(let why): "unexpected response from the Prometheus API: \(why)"
            }
        }
    }

    /// The result of a query, as the API types it.
    public enum QueryResult: Sendable, Equatable {
        case vector([Series])  // one sample per series
        case matrix([Series])
        case scalar(Sample)
        case string(String, timestampMs: Int64)
    }

    /// `/api/v1/query_range`: a matrix (one series per label set, samples at each step).
    public func queryRange(_ expression: String, startMs: Int64, endMs: Int64, stepMs: Int64) throws(APIError) -> [Series] {
        let result = try call(
            "/api/v1/query_range",
            ["query": expression, "start": seconds(startMs), "end": seconds(endMs), "step": seconds(stepMs)])
        guard case .matrix(let series) = result else { throw .unexpectedResponse("query_range did not return a matrix") }
        return series
    }

    /// `/api/v1/query` at one instant.
    public func query(_ expression: String, atMs: Int64) throws(APIError) -> QueryResult {
        try call("/api/v1/query", ["query": expression, "time": seconds(atMs)])
    }

    private func seconds(_ ms: Int64) -> String {
        let whole = ms / 1000
        let fraction = abs(ms % 1000)
        let sign = ms < 0 && whole == 0 ? "-" : ""
        return "\(sign)\(whole).\(String(fraction + 1000).dropFirst())"
    }

    private func call(_ path: String, _ parameters: [String: String]) throws(APIError) -> QueryResult {
        var components = URLComponents()
        components.queryItems = parameters.sorted(by: { $0.key < $1.key }).map { URLQueryItem(name: $0.key, value: $0.value) }
        // Form encoding: '+' must be escaped or the server reads a space.
        let body = (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
        let request = HTTPRequest(
            url: baseURL + path, method: "POST",
            headers: headers + [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")],
            body: Array(body.utf8), timeoutMs: timeoutMs)
        let response: HTTPResponse
        do { response = try HTTPClient.perform(request) } catch { throw .http(error) }
        return try Self.decode(response)
    }

    static func decode(_ response: HTTPResponse) throws(APIError) -> QueryResult {
        let envelope: Envelope
        do {
            envelope = try JSONDecoder().decode(Envelope.self, from: Data(response.body))
        } catch {
            let preview = String(decoding: response.body.prefix(200), as: UTF8.self)
            throw .unexpectedResponse("HTTP \(response.status), not an API response: \(preview)")
        }
        guard envelope.status == "success", let data = envelope.data else {
            throw .query(status: response.status, type: envelope.errorType ?? "unknown", message: envelope.error ?? "no error message")
        }
        switch data.resultType {
        case "matrix", "vector":
            guard let results = data.result.series else { throw .unexpectedResponse("\(data.resultType) without series") }
            let series = results.map { Series(labels: Labels($0.metric), samples: $0.values ?? ($0.value.map { [$0] } ?? [])) }
            return data.resultType == "matrix" ? .matrix(series) : .vector(series)
        case "scalar":
            guard let sample = data.result.pair else { throw .unexpectedResponse("scalar without a value") }
            return .scalar(sample)
        case "string":
            guard let (text, ms) = data.result.stringPair else { throw .unexpectedResponse("string without a value") }
            return .string(text, timestampMs: ms)
        default:
            throw .unexpectedResponse("unknown result type \"\(data.resultType)\"")
        }
    }

    private struct Envelope: Decodable {
        var status: String
        var data: DataField?
        var errorType: String?
        var error: String?
    }

    private struct DataField: Decodable {
        var resultType: String
        var result: ResultField
    }

    private struct SeriesField: Decodable {
        var metric: [String: String]
        var values: [Sample]?
        var value: Sample?
    }

    /// `result` is an array of series, or a `[time, "value"]` pair for scalars and strings.
    private struct ResultField: Decodable {
        var series: [SeriesField]?
        var pair: Sample?
        var stringPair: (String, Int64)?

        init(from decoder: Decoder) throws {
            if let series = try? [SeriesField](from: decoder) {
                self.series = series
                return
            }
            var c = try decoder.unkeyedContainer()
            let seconds = try c.decode(Double.self)
            let text = try c.decode(String.self)
            let ms = Int64((seconds * 1000).rounded())
            pair = Double(text).map { Sample(timestampMs: ms, value: $0) }
            stringPair = (text, ms)
        }
    }
}

extension Sample: Decodable {
    /// The API's `[1700000000.123, "42"]` pair: seconds as a number, the value as a string
    /// (`"NaN"`, `"+Inf"`, `"-Inf"` included).
    public init(from decoder: Decoder) throws {
        var c = try decoder.unkeyedContainer()
        let seconds = try c.decode(Double.self)
        let text = try c.decode(String.self)
        guard let value = Double(text) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "sample value \"\(text)\" is not a number")
        }
        self.init(timestampMs: Int64((seconds * 1000).rounded()), value: value)
    }
}
