import Foundation

/// Group commit: producers with `acks=all` register the file they wrote and wait; one of them
/// fsyncs every file registered so far and wakes all whose writes that fsync covered. With N
/// concurrent producers one fsync serves up to N acknowledgements.
///
/// Invariant: `durableTicket` only grows, and a ticket ≤ `durableTicket` was written before an
/// fsync of its file completed.
final class DurabilityCoordinator: @unchecked Sendable {
    private let condition = NSCondition()
    private var issuedTicket: UInt64 = 0
    private var durableTicket: UInt64 = 0
    private var flushing = false
    private var dirty: [ObjectIdentifier: FileHandleRef] = [:]
    /// An fsync failure is sticky: after one, nothing written since can be promised durable
    /// (the kernel may have dropped the dirty pages), so every later wait fails too.
    private var failure: LogError?
    private(set) var fsyncs: UInt64 = 0

    /// Call after the write to `file` returned; the ticket covers that write.
    func register(_ file: FileHandleRef) -> UInt64 {
        condition.lock()
        defer { condition.unlock() }
        issuedTicket += 1
        dirty[ObjectIdentifier(file)] = file
        return issuedTicket
    }

    var durable: UInt64 {
        condition.lock()
        defer { condition.unlock() }
        return durableTicket
    }

    /// Returns once `ticket`'s write is on stable storage.
    func waitDurable(_ ticket: UInt64) throws(LogError) {
        condition.lock()
        defer { condition.unlock() }
        while durableTicket < ticket {
            if let failure { throw failure }
            if flushing {
                condition.wait()
                continue
            }
            flushing = true
            let target = issuedTicket
            let files = Array(dirty.values)
            dirty.removeAll(keepingCapacity: true)
            condition.unlock()
            var firstError: LogError?
            for file in files {
                do throws(LogError) { try file.syncData() } catch { firstError = firstError ?? error }
            }
            condition.lock()
            fsyncs += UInt64(files.count)
            flushing = false
            if let firstError { failure = firstError } else { durableTicket = target }
            condition.broadcast()
        }
    }
}
