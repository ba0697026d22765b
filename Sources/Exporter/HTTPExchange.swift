/// One HTTP request as the pure handlers see it: no sockets, no event loop, so the handlers are
/// tested byte for byte. Header names are lowercase.
public struct HTTPServerRequest: Sendable {
    public var method: String
    public var path: String
    public var headers: [String: String]
    public var body: [UInt8]
    /// Set (with `body` left empty) when the body was larger than the route's limit: the server
    /// stops reading it, the handler answers 413 in its own format after its other checks.
    public var bodyTooLarge: Int?

    public init(method: String, path: String, headers: [String: String] = [:], body: [UInt8] = [], bodyTooLarge: Int? = nil) {
        self.method = method
        self.path = path
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
        self.body = body
        self.bodyTooLarge = bodyTooLarge
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

public struct HTTPServerResponse: Sendable, Equatable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func text(_ status: Int, _ text: String) -> HTTPServerResponse {
        HTTPServerResponse(status: status, headers: ["content-type": "text/plain; charset=utf-8"], body: Array((text + "\n").utf8))
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// A route: the path it serves, the largest body it reads (a larger one is not read further and
/// reaches the handler as `bodyTooLarge`), and the handler.
public struct HTTPRoute: Sendable {
    public var path: String
    public var maxBodyBytes: Int
    public var handler: @Sendable (HTTPServerRequest) -> HTTPServerResponse

    public init(path: String, maxBodyBytes: Int = 0, handler: @escaping @Sendable (HTTPServerRequest) -> HTTPServerResponse) {
        self.path = path
        self.maxBodyBytes = maxBodyBytes
        self.handler = handler
    }
}

/// `host:port` as given on the command line: `127.0.0.1:4318`, `:4318` (all interfaces),
/// `[::1]:4318`, `localhost:0` (any free port).
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = String(text[..<colon])
        guard let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty { host = "0.0.0.0" }
        if host.contains(":") && !text.hasPrefix("[") { return nil }
        self.init(host: host, port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Reachable from this host only: 127.0.0.0/8, ::1, localhost.
    public var isLoopback: Bool { host == "localhost" || host == "::1" || host.hasPrefix("127.") }
}
