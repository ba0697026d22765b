/// What an event on the timeline records. The scope draws each kind as a marker on the time axis.
public enum EventKind: String, Sendable, Codable, CaseIterable {
    /// A consumer group changed generation (members joined, left or timed out).
    case rebalance
    /// An alert changed state (pending, firing, resolved).
    case alert
    /// Anything else an operator or a tool wants on the axis (a deploy, a fault injection).
    case marker
}

/// A timestamped, labelled happening: the second kind of data beside samples.
public struct Event: Sendable, Equatable, Codable {
    public var kind: EventKind
    /// Milliseconds since the Unix epoch.
    public var timeMs: Int64
    /// Identifying labels (for a rebalance: `consumergroup`).
    public var labels: [String: String]
    /// One line a person reads next to the marker.
    public var title: String
    /// Kind-specific details (for a rebalance: generation, reason, members before and after).
    public var fields: [String: String]

    public init(kind: EventKind, timeMs: Int64, labels: [String: String], title: String, fields: [String: String] = [:]) {
        self.kind = kind
        self.timeMs = timeMs
        self.labels = labels
        self.title = title
        self.fields = fields
    }
}
