import Foundation
import Testing

@testable import Collectors

/// `metric_total 1\n` × 200 (3000 bytes), gzip-compressed to 59 bytes.
let gzippedMetrics: [UInt8] = [
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xcb, 0x4d, 0x2d, 0x29, 0xca, 0x4c, 0x8e, 0x2f, 0xc9, 0x2f,
    0x49, 0xcc, 0x51, 0x30, 0xe4, 0xca, 0x1d, 0xe5, 0x8e, 0x72, 0x47, 0xb9, 0xa3, 0xdc, 0x51, 0xee, 0x28, 0x77, 0x94, 0x3b,
    0xca, 0x1d, 0xe5, 0x8e, 0x72, 0x47, 0xb9, 0x83, 0x8f, 0x0b, 0x00, 0x16, 0x0a, 0xe2, 0x70, 0xb8, 0x0b, 0x00, 0x00,
]

@Suite(.serialized) struct HTTPClientTests {
    @Test func returnsStatusHeadersAndBody() throws {
        let server = try TestHTTPServer(routes: [
            "/metrics": .init(headers: [("Content-Type", "text/plain; version=0.0.4")], body: Array("up 1\n".utf8))
        ])
        defer { server.stop() }
        let response = try HTTPClient.perform(HTTPRequest(url: server.baseURL + "/metrics", headers: [("Accept", "text/plain")]))
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "text/plain; version=0.0.4")
        #expect(response.body == Array("up 1\n".utf8))
        #expect(server.requests.first?.contains("Accept: text/plain") == true)
    }

    @Test func decodesGzipTransparentlyAndAsksForIt() throws {
        let server = try TestHTTPServer(routes: ["/m": .init(headers: [("Content-Encoding", "gzip")], body: gzippedMetrics)])
        defer { server.stop() }
        let response = try HTTPClient.perform(HTTPRequest(url: server.baseURL + "/m"))
        #expect(response.body.count == 3000)
        #expect(String(decoding: response.body.prefix(15), as: UTF8.self) == "metric_total 1\n")
        #expect(server.requests.first?.lowercased().contains("accept-encoding: ") == true)
    }

    @Test func aDecompressedBodyOverTheLimitIsRefusedNotBuffered() throws {
        let server = try TestHTTPServer(routes: ["/m": .init(headers: [("Content-Encoding", "gzip")], body: gzippedMetrics)])
        defer { server.stop() }
        #expect(throws: HTTPError.tooLarge(url: server.baseURL + "/m", limit: 1000)) {
            try HTTPClient.perform(HTTPRequest(url: server.baseURL + "/m", maxResponseBytes: 1000))
        }
    }

    @Test func aSlowServerTimesOut() throws {
        let server = try TestHTTPServer(routes: ["/slow": .init(body: Array("late".utf8), delayMs: 1500)])
        defer { server.stop() }
        let url = server.baseURL + "/slow"
        #expect(throws: HTTPError.timedOut(url: url, afterMs: 200)) {
            try HTTPClient.perform(HTTPRequest(url: url, timeoutMs: 200))
        }
    }

    @Test func errorStatusesAreResponsesNotErrors() throws {
        let server = try TestHTTPServer(routes: [:])
        defer { server.stop() }
        #expect(try HTTPClient.perform(HTTPRequest(url: server.baseURL + "/missing")).status == 404)
    }

    @Test func postsABody() throws {
        let server = try TestHTTPServer(routes: ["/v1/metrics": .init(status: 202)])
        defer { server.stop() }
        let response = try HTTPClient.perform(
            HTTPRequest(url: server.baseURL + "/v1/metrics", method: "POST", headers: [("Content-Type", "application/x-protobuf")], body: [1, 2, 3]))
        #expect(response.status == 202)
        #expect(server.requests.first?.hasPrefix("POST /v1/metrics") == true)
    }

    @Test func refusedConnectionsAndBadURLsSayWhat() throws {
        let server = try TestHTTPServer(routes: [:])
        let url = server.baseURL + "/gone"
        server.stop()
        do {
            _ = try HTTPClient.perform(HTTPRequest(url: url, timeoutMs: 2000))
            Issue.record("a closed port must fail")
        } catch {
            guard case .transport(let failedURL, let reason) = error else {
                Issue.record("expected a transport error, got \(error)")
                return
            }
            #expect(failedURL == url)
            #expect(reason.lowercased().contains("connect"), "reason names the failure: \(reason)")
        }
        #expect(throws: HTTPError.invalidURL("file:///etc/passwd")) { try HTTPClient.perform(HTTPRequest(url: "file:///etc/passwd")) }
    }

    @Test func garbageInsteadOfHTTPIsATransportError() throws {
        let server = try TestHTTPServer(routes: ["/g": .init(raw: Array("\u{0}\u{1}garbage\r\n\r\n".utf8))])
        defer { server.stop() }
        #expect(throws: HTTPError.self) { try HTTPClient.perform(HTTPRequest(url: server.baseURL + "/g", timeoutMs: 2000)) }
    }
}
