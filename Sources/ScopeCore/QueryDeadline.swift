/// The time limit of the query being evaluated on this thread. The engine sets it around an
/// evaluation; the engine's own loops and the store's matcher loops (where one scraped label value
/// against a slow regex can take seconds) check it, so one slow query stops at its limit instead
/// of freezing the scope or the rule evaluator.
public enum QueryDeadline {
    public struct Limit: Sendable, Equatable {
        /// `monotonicNanos()` after which the query must stop.
        public var atNanos: UInt64
        /// The limit as configured, for the message.
        public var limitMs: Int64

        public init(limitMs: Int64, fromNanos: UInt64 = monotonicNanos()) {
            self.limitMs = limitMs
            self.atNanos = fromNanos &+ UInt64(max(0, limitMs)) * 1_000_000
        }
    }

    @TaskLocal public static var current: Limit?

    /// The limit that has run out, nil while there is time left (or no limit).
    public static var exceeded: Limit? {
        guard let limit = current, monotonicNanos() >= limit.atNanos else { return nil }
        return limit
    }
}
