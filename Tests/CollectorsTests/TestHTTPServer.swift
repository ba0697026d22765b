#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A tiny HTTP/1.1 server on 127.0.0.1 for client tests: it answers each connection with a canned
/// response chosen by path, optionally after a delay. Real sockets, real curl on the other side.
final class TestHTTPServer: @unchecked Sendable {
    struct Route {
        var status = 200
        var headers: [(String, String)] = []
        var body: [UInt8] = []
        var delayMs = 0
        /// Bytes written instead of a well-formed response (for garbage tests).
        var raw: [UInt8]? = nil
    }

    let port: UInt16
    private let listener: Int32
    private var routes: [String: Route]
    private let lock = NSLock()
    private var received: [String] = []
    /// The request heads received so far (read under the lock the server threads write under).
    var requests: [String] {
        lock.lock()
        defer { lock.unlock() }
        return received
    }
    private var running = true
    private let thread: Thread

    init(routes: [String: Route]) throws {
        self.routes = routes
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = UInt16(bigEndian: actual.sin_port)
        listener = fd
        let box = ServerBox()
        thread = Thread { box.server?.serve() }
        box.server = self
        thread.start()
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    func stop() {
        lock.lock()
        running = false
        lock.unlock()
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func serve() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { return }
            Thread { [self] in handle(client) }.start()
        }
    }

    private func handle(_ client: Int32) {
        defer { close(client) }
        var request = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !request.containsSubsequence(Array("\r\n\r\n".utf8)) {
            let n = read(client, &buffer, buffer.count)
            if n <= 0 { return }
            request += buffer[0..<n]
        }
        let head = String(decoding: request, as: UTF8.self)
        let path = head.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
        lock.lock()
        received.append(head)
        let route = routes[path] ?? Route(status: 404, body: Array("not found\n".utf8))
        lock.unlock()
        if route.delayMs > 0 { usleep(UInt32(route.delayMs) * 1000) }
        var out: [UInt8]
        if let raw = route.raw {
            out = raw
        } else {
            var text = "HTTP/1.1 \(route.status) X\r\nContent-Length: \(route.body.count)\r\nConnection: close\r\n"
            for (name, value) in route.headers { text += "\(name): \(value)\r\n" }
            text += "\r\n"
            out = Array(text.utf8) + route.body
        }
        var sent = 0
        while sent < out.count {
            let n = out[sent...].withUnsafeBytes { write(client, $0.baseAddress!, $0.count) }
            if n <= 0 { return }
            sent += n
        }
    }
}

private final class ServerBox: @unchecked Sendable {
    weak var server: TestHTTPServer?
}

extension Array where Element == UInt8 {
    func containsSubsequence(_ needle: [UInt8]) -> Bool {
        guard count >= needle.count else { return false }
        return (0...(count - needle.count)).contains { self[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}
