import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// Why a server could not start: the address in use, a host that does not resolve, …
public struct HTTPServerStartError: Error, CustomStringConvertible {
    public var description: String
}

/// Hummingbird carrying the pure `HTTPRoute` handlers. Everything protocol-related (limits,
/// statuses, bodies) is in the handlers; this only moves bytes. Runs on its own task so the
/// synchronous run loops of the commands are unaffected; `start` returns once the socket is bound
/// (or throws why it could not be).
public final class HTTPServer: Sendable {
    /// The address actually bound (port 0 becomes the chosen port).
    public let address: ListenAddress
    private let task: Mutex<Task<Void, Never>?>

    private init(address: ListenAddress, task: Task<Void, Never>) {
        self.address = address
        self.task = Mutex(task)
    }

    /// `notFound` answers requests for paths no route serves (without their body), so a
    /// protocol with its own error format (OTLP's google.rpc.Status) keeps it for those too.
    /// How long a connection may stay without a complete request (a head still arriving, or
    /// idle between requests) before it is closed, and how many may be open at once (past that
    /// the oldest one without a request is closed, see `ConnectionGuard`).
    public static let idleTimeoutSeconds: Int64 = 10
    public static let maxConnections = 512

    public static func start(
        _ address: ListenAddress, routes: [HTTPRoute], notFound: (@Sendable (HTTPServerRequest) -> HTTPServerResponse)? = nil,
        idleTimeoutSeconds: Int64 = HTTPServer.idleTimeoutSeconds, maxConnections: Int = HTTPServer.maxConnections
    ) throws -> HTTPServer {
        let table = Dictionary(routes.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            try await respond(request, table, notFound: notFound)
        }
        // Hummingbird logs to stdout by default; stdout belongs to the command's output.
        let logger = Logger(label: "strmscope.http", factory: { _ in SwiftLogNoOpLogHandler() })
        let bound = BoundSignal()
        let connectionGuard = ConnectionGuard(limit: maxConnections)
        let app = Application(
            responder: responder,
            server: .http1(configuration: .init(
                additionalChannelHandlers: [connectionGuard.handler()], idleTimeout: .seconds(idleTimeoutSeconds))),
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: "strmscope"),
            onServerRunning: { channel in bound.succeed(channel.localAddress?.port ?? address.port) },
            logger: logger)
        let task = Task.detached {
            do {
                try await app.run()
            } catch {
                bound.fail("\(error)")
            }
        }
        switch bound.wait(timeoutSeconds: 30) {
        case .success(let port):
            return HTTPServer(address: ListenAddress(host: address.host, port: port), task: task)
        case .failure(let message):
            task.cancel()
            throw HTTPServerStartError(description: "cannot listen on \(address): \(message)")
        }
    }

    public func stop() {
        task.withLock { $0?.cancel(); $0 = nil }
    }

    private static func respond(
        _ request: Request, _ table: [String: HTTPRoute], notFound: (@Sendable (HTTPServerRequest) -> HTTPServerResponse)?
    ) async throws -> Response {
        let path = request.uri.path
        var headers: [String: String] = [:]
        for field in request.headers {
            let name = field.name.canonicalName
            headers[name] = headers[name].map { "\($0), \(field.value)" } ?? field.value
        }
        guard let route = table[path] else {
            if let notFound {
                return response(notFound(HTTPServerRequest(method: request.method.rawValue, path: path, headers: headers, body: [], bodyTooLarge: nil)))
            }
            return response(.text(404, "not found: \(path) (served here: \(table.keys.sorted().joined(separator: ", ")))"))
        }
        var body: [UInt8] = []
        var tooLarge: Int?
        if route.maxBodyBytes > 0 {
            if let length = headers["content-length"].flatMap(Int.init), length > route.maxBodyBytes {
                tooLarge = length
            } else {
                do {
                    var buffer = try await request.body.collect(upTo: route.maxBodyBytes)
                    body = buffer.readBytes(length: buffer.readableBytes) ?? []
                } catch {
                    // Chunked and over the limit: its size is unknown, only that it is larger.
                    tooLarge = route.maxBodyBytes + 1
                }
            }
        }
        let exchange = HTTPServerRequest(method: request.method.rawValue, path: path, headers: headers, body: body, bodyTooLarge: tooLarge)
        return response(route.handler(exchange))
    }

    private static func response(_ response: HTTPServerResponse) -> Response {
        var fields = HTTPFields()
        for (name, value) in response.headers {
            if let fieldName = HTTPField.Name(name) { fields[fieldName] = value }
        }
        return Response(status: .init(code: response.status), headers: fields,
                        body: .init(byteBuffer: ByteBuffer(bytes: response.body)))
    }
}

/// The server task tells the starting thread whether the socket was bound.
private final class BoundSignal: Sendable {
    enum Outcome: Sendable { case success(Int), failure(String) }
    private let state = Mutex<Outcome?>(nil)
    private let semaphore = DispatchSemaphore(value: 0)

    func succeed(_ port: Int) { settle(.success(port)) }
    func fail(_ message: String) { settle(.failure(message)) }

    private func settle(_ outcome: Outcome) {
        let first = state.withLock { state -> Bool in
            guard state == nil else { return false }
            state = outcome
            return true
        }
        if first { semaphore.signal() }
    }

    func wait(timeoutSeconds: Int) -> Outcome {
        if semaphore.wait(timeout: .now() + .seconds(timeoutSeconds)) == .timedOut {
            settle(.failure("the server did not start within \(timeoutSeconds) s"))
        }
        return state.withLock { $0! }
    }
}
