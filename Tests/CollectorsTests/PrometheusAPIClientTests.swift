import Foundation
import ScopeCore
import Testing

@testable import Collectors

@Suite(.serialized) struct PrometheusAPIClientTests {
    func respond(_ json: String, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["content-type": "application/json"], body: Array(json.utf8))
    }

    @Test func decodesAMatrixWithSpecialValues() throws {
        let result = try PrometheusAPIClient.decode(respond("""
            {"status":"success","data":{"resultType":"matrix","result":[
              {"metric":{"__name__":"up","job":"kafka"},"values":[[1700000000,"1"],[1700000015.5,"NaN"],[1700000030.001,"+Inf"]]}]}}
            """))
        guard case .matrix(let series) = result else {
            Issue.record("expected a matrix, got \(result)")
            return
        }
        #expect(series.count == 1)
        #expect(series[0].labels == ["__name__": "up", "job": "kafka"])
        #expect(series[0].samples.map(\.timestampMs) == [1_700_000_000_000, 1_700_000_015_500, 1_700_000_030_001])
        #expect(series[0].samples[1].value.isNaN && series[0].samples[2].value == .infinity)
    }

    @Test func decodesVectorScalarAndString() throws {
        let vector = try PrometheusAPIClient.decode(respond("""
            {"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"b"},"value":[1.5,"-2.25"]}]}}
            """))
        #expect(vector == .vector([Series(labels: ["a": "b"], samples: [Sample(timestampMs: 1500, value: -2.25)])]))
        let scalar = try PrometheusAPIClient.decode(respond(#"{"status":"success","data":{"resultType":"scalar","result":[2,"7"]}}"#))
        #expect(scalar == .scalar(Sample(timestampMs: 2000, value: 7)))
        let string = try PrometheusAPIClient.decode(respond(#"{"status":"success","data":{"resultType":"string","result":[3,"hi"]}}"#))
        #expect(string == .string("hi", timestampMs: 3000))
    }

    @Test func serverErrorsKeepTheirMessage() {
        #expect(throws: PrometheusAPIClient.APIError.query(status: 400, type: "bad_data", message: "1:6: parse error: unexpected end of input")) {
            try PrometheusAPIClient.decode(
                respond(#"{"status":"error","errorType":"bad_data","error":"1:6: parse error: unexpected end of input"}"#, status: 400))
        }
        #expect(throws: PrometheusAPIClient.APIError.self) { try PrometheusAPIClient.decode(respond("<html>502 Bad Gateway</html>", status: 502)) }
    }

    @Test func sendsTheQueryFormEncoded() throws {
        let server = try TestHTTPServer(routes: [
            "/prom/api/v1/query_range": .init(body: Array(#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#.utf8))
        ])
        defer { server.stop() }
        let client = PrometheusAPIClient(baseURL: server.baseURL + "/prom/")
        let series = try client.queryRange("sum(rate(x{a=\"1+1\"}[5m]))", startMs: 1_000, endMs: 61_500, stepMs: 15_000)
        #expect(series.isEmpty)
        let request = try #require(server.requests.first)
        #expect(request.hasPrefix("POST /prom/api/v1/query_range"))
        #expect(request.contains("Content-Type: application/x-www-form-urlencoded"))
    }
}
