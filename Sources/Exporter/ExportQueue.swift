import Foundation

/// One OTLP/HTTP request body ready to send (protobuf, gzip-compressed).
public struct ExportBatch: Sendable, Equatable {
    public var body: [UInt8]
    /// OTLP data points in it (for the sent/dropped counters).
    public var points: Int
    public var createdAtMs: Int64

    public init(body: [UInt8], points: Int, createdAtMs: Int64) {
        self.body = body
        self.points = points
        self.createdAtMs = createdAtMs
    }
}

/// Batches waiting to be sent, at most `capacity`. When full, pushing drops the oldest: while a
/// collector is down, memory stays bounded and what is kept is the newest data.
/// Invariant: `count <= capacity`.
public struct BoundedBatchQueue: Sendable {
    public let capacity: Int
    private var items: [ExportBatch] = []
    private var head = 0

    public init(capacity: Int) {
        precondition(capacity >= 1, "queue capacity must be at least 1")
        self.capacity = capacity
    }

    public var count: Int { items.count - head }
    public var isEmpty: Bool { count == 0 }

    /// Appends `batch`; returns the batch dropped to make room, if any.
    public mutating func push(_ batch: ExportBatch) -> ExportBatch? {
        var dropped: ExportBatch?
        if count == capacity { dropped = popFirst() }
        items.append(batch)
        assert(count <= capacity)
        return dropped
    }

    public mutating func popFirst() -> ExportBatch? {
        guard head < items.count else { return nil }
        let batch = items[head]
        head += 1
        // Compact once the consumed prefix dominates, so the array does not grow forever.
        if head > 16 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return batch
    }

    public mutating func removeAll() -> [ExportBatch] {
        let rest = Array(items[head...])
        items = []
        head = 0
        return rest
    }
}

/// What to do after one send attempt, and how long to wait before the next: exponential backoff
/// with jitter, `Retry-After` honoured (capped), a batch given up after `maxElapsedMs`.
public struct RetryPolicy: Sendable, Equatable {
    public var initialBackoffMs: Int64 = 500
    public var maxBackoffMs: Int64 = 5_000
    /// A batch still failing this long after its first attempt is dropped (counted).
    public var maxElapsedMs: Int64 = 60_000
    /// ± this fraction of the backoff, so many exporters restarted together do not retry in step.
    public var jitter: Double = 0.2

    public init() {}

    public enum Outcome: Sendable, Equatable {
        case delivered
        /// Worth trying again (connection failure, 429, 502, 503, 504), after at least this server-requested delay.
        case retry(retryAfterMs: Int64?)
        /// The collector refused the data (400, 401, 413, …): sending it again cannot help.
        case rejected
    }

    public static func outcome(status: Int?, retryAfter: String?, nowMs: Int64) -> Outcome {
        guard let status else { return .retry(retryAfterMs: nil) }
        switch status {
        case 200..<300: return .delivered
        case 429, 502, 503, 504: return .retry(retryAfterMs: parseRetryAfter(retryAfter, nowMs: nowMs))
        default: return .rejected
        }
    }

    /// The wait before attempt `attempt + 1` (attempt counts from 1). `random` is in [0, 1).
    public func backoffMs(attempt: Int, retryAfterMs: Int64?, random: Double) -> Int64 {
        let exponent = min(max(attempt - 1, 0), 30)
        let base = min(maxBackoffMs, initialBackoffMs << Int64(exponent))
        let jittered = Int64(Double(base) * (1 - jitter + 2 * jitter * random))
        guard let retryAfterMs else { return max(1, jittered) }
        // The server knows its own load: wait at least what it asks, but never more than the
        // batch's whole retry budget.
        return min(max(retryAfterMs, jittered), maxElapsedMs)
    }

    /// `Retry-After` as delay-seconds or an HTTP date.
    public static func parseRetryAfter(_ value: String?, nowMs: Int64) -> Int64? {
        guard let value = value?.trimmingSpaces, !value.isEmpty else { return nil }
        if let seconds = Int64(value) { return seconds >= 0 ? seconds * 1000 : nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return max(0, Int64(date.timeIntervalSince1970 * 1000) - nowMs)
    }
}
