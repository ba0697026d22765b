#if canImport(Glibc)
import Glibc
#endif
import ScopeCore
import Synchronization

/// How many fdatasync calls the log made (a metric: with group commit, far fewer than acks=all
/// appends).
final class FsyncCounter: Sendable {
    let count = Atomic<UInt64>(0)
}

/// Group commit for one segment file. A producer with `acks=all` writes its batch, registers and
/// waits; one waiter at a time (the leader) fsyncs and releases everyone whose write that fsync
/// covered. Each file has its own group commit, so partitions fsync in parallel.
///
/// When the previous fsync served several writers, the next leader waits briefly (at most half
/// of a recent fsync) for as many writes to arrive before it starts: otherwise the
/// writers released by one fsync would always miss the next and split into two alternating
/// half-size groups.
///
/// Invariants: `durableTicket` only grows; a ticket ≤ `durableTicket` was written before an
/// fsync of this file completed. After an fsync error nothing later is declared durable.
final class GroupCommit: @unchecked Sendable {
    private let file: FileHandleRef
    private let fsyncs: FsyncCounter
    /// Told the byte position up to which the file is durable after every successful fsync.
    private let onDurable: (@Sendable (Int) -> Void)?
    /// The end of the furthest write registered so far.
    private var issuedPosition = 0
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    /// Signalled when an fsync completes (waiters check their ticket).
    private let flushed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Signalled when a write registers while a leader is gathering.
    private let arrived = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var issuedTicket: UInt64 = 0
    /// Written under `mutex`; atomic so `isDurable` (asked on every append and read) takes no lock.
    private let durable = Atomic<UInt64>(0)
    private var durableTicket: UInt64 { durable.load(ordering: .acquiring) }
    private var flushing = false
    private var gathering = false
    private var lastGroupSize: UInt64 = 1
    private var averageFsyncNanos: UInt64 = 0
    private var failure: LogError?

    init(file: FileHandleRef, fsyncs: FsyncCounter, onDurable: (@Sendable (Int) -> Void)? = nil) {
        self.file = file
        self.fsyncs = fsyncs
        self.onDurable = onDurable
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(flushed, nil)
        // The gathering wait has a deadline: measure it on the monotonic clock, so a wall-clock
        // step cannot stall a writer.
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(arrived, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(arrived)
        pthread_cond_destroy(flushed)
        pthread_mutex_destroy(mutex)
        arrived.deallocate()
        flushed.deallocate()
        mutex.deallocate()
    }

    /// Call after a write to the file returned (ending at byte `position`); the ticket covers it.
    func register(upTo position: Int) -> UInt64 {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        issuedTicket += 1
        issuedPosition = max(issuedPosition, position)
        if gathering { pthread_cond_signal(arrived) }
        return issuedTicket
    }

    func isDurable(_ ticket: UInt64) -> Bool {
        durableTicket >= ticket
    }

    /// Returns once `ticket`'s write is on stable storage.
    func waitDurable(_ ticket: UInt64) throws(LogError) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while durableTicket < ticket {
            if let failure { throw failure }
            if flushing {
                pthread_cond_wait(flushed, mutex)
                continue
            }
            flushing = true
            gatherCompanions()
            try flushLocked()
        }
    }

    /// Makes every write up to byte `position` (registered or not: `acks=leader` writes too)
    /// durable now (segment roll, close, after recovery).
    func syncAll(upTo position: Int) throws(LogError) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while flushing { pthread_cond_wait(flushed, mutex) }
        if let failure { throw failure }
        flushing = true
        issuedPosition = max(issuedPosition, position)
        try flushLocked()
    }

    /// Leader only, lock held: waits until as many writes are pending as the last fsync served,
    /// or a quarter of a recent fsync has passed.
    private func gatherCompanions() {
        guard lastGroupSize > 1, averageFsyncNanos > 0 else { return }
        let window = averageFsyncNanos / 2
        let deadline = monotonicNanos() + window
        var limit = timespec()
        clock_gettime(CLOCK_MONOTONIC, &limit)
        let wait = Int(window)
        limit.tv_nsec += wait
        limit.tv_sec += limit.tv_nsec / 1_000_000_000
        limit.tv_nsec %= 1_000_000_000
        gathering = true
        while issuedTicket - durableTicket < lastGroupSize && monotonicNanos() < deadline {
            if pthread_cond_timedwait(arrived, mutex, &limit) == ETIMEDOUT { break }
        }
        gathering = false
    }

    /// Leader only, lock held on entry and exit (released around the fsync itself).
    private func flushLocked() throws(LogError) {
        let target = issuedTicket
        let position = issuedPosition
        let started = monotonicNanos()
        pthread_mutex_unlock(mutex)
        var error: LogError?
        do throws(LogError) { try file.syncData() } catch let e { error = e }
        pthread_mutex_lock(mutex)
        let took = monotonicNanos() - started
        fsyncs.count.add(1, ordering: .relaxed)
        averageFsyncNanos = averageFsyncNanos == 0 ? took : (averageFsyncNanos * 7 + took) / 8
        flushing = false
        if let error {
            failure = error
        } else {
            lastGroupSize = max(1, target - durableTicket)
            durable.store(target, ordering: .releasing)
            onDurable?(position)
        }
        pthread_cond_broadcast(flushed)
        if let error { throw error }
    }
}

/// The partitions of an open log. Looked up on every append and fetch, changed only when a topic
/// is created, so lookups take a shared lock and never queue behind one another.
final class PartitionTable: @unchecked Sendable {
    private let lock = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)
    private var partitions: [TopicPartition: PartitionLog]

    init(_ partitions: [TopicPartition: PartitionLog]) {
        self.partitions = partitions
        pthread_rwlock_init(lock, nil)
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    subscript(tp: TopicPartition) -> PartitionLog? {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return partitions[tp]
    }

    var all: [TopicPartition: PartitionLog] {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return partitions
    }

    func add(_ more: [TopicPartition: PartitionLog]) {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        partitions.merge(more) { $1 }
    }
}
