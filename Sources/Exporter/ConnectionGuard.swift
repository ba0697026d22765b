import NIOCore
import NIOHTTPTypes
import Synchronization

/// Keeps a listener answering under a flood of slow or idle clients: at most `limit` open
/// connections; when one more arrives, the oldest connection that has not yet sent a complete
/// request head (the signature of a slowloris client) is closed to make room — a well-behaved
/// client, which sends its head at once, therefore always gets served. Connections that never
/// finish their head are also closed by the server's idle timeout. Shared by every connection of
/// one listener.
final class ConnectionGuard: Sendable {
    let limit: Int
    private struct Entry {
        var channel: any Channel
        var sequence: UInt64
        var sentHead: Bool
    }
    private let state = Mutex<(entries: [ObjectIdentifier: Entry], next: UInt64)>(([:], 0))
    /// Connections closed to make room (for the listener's own metrics and tests).
    let evicted = Atomic<Int>(0)

    init(limit: Int) { self.limit = max(1, limit) }

    var openConnections: Int { state.withLock { $0.entries.count } }

    /// A connection opened; returns one to close to stay within the limit, if any.
    func opened(_ channel: any Channel) -> (any Channel)? {
        state.withLock { state in
            state.next += 1
            state.entries[ObjectIdentifier(channel)] = Entry(channel: channel, sequence: state.next, sentHead: false)
            guard state.entries.count > limit else { return nil }
            // The oldest without a complete head, else the oldest of all.
            let candidates = state.entries.filter { !$0.value.sentHead }
            let pool = candidates.isEmpty ? state.entries : candidates
            guard let victim = pool.min(by: { $0.value.sequence < $1.value.sequence }) else { return nil }
            state.entries[victim.key] = nil
            return victim.value.channel
        }
    }

    func sentHead(_ channel: any Channel) {
        state.withLock { $0.entries[ObjectIdentifier(channel)]?.sentHead = true }
    }

    func closed(_ channel: any Channel) {
        _ = state.withLock { $0.entries.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// The pipeline handler reporting one connection's life to the guard.
    func handler() -> ConnectionGuardHandler { ConnectionGuardHandler(guard: self) }
}

/// Sits after the HTTP codec: notes the connection, its first request head, and its end.
final class ConnectionGuardHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    private let connectionGuard: ConnectionGuard
    private var registered = false

    init(guard connectionGuard: ConnectionGuard) { self.connectionGuard = connectionGuard }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { register(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        register(context)
        context.fireChannelActive()
    }

    private func register(_ context: ChannelHandlerContext) {
        guard !registered else { return }
        registered = true
        if let victim = connectionGuard.opened(context.channel) {
            connectionGuard.evicted.add(1, ordering: .relaxed)
            victim.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { connectionGuard.sentHead(context.channel) }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        connectionGuard.closed(context.channel)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        connectionGuard.closed(context.channel)
    }
}
