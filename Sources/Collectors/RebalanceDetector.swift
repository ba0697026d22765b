import ScopeCore

/// Rebalance events for sources that only have metrics (a scrape of kafka_exporter or of the
/// strmscope sidecar, a Prometheus server, OTLP): exporters publish no events, but the metrics
/// say when a group changed — `strm_rebalances_total` went up (strmscope's own count of
/// generation changes), or `kafka_consumergroup_members` changed. Each collection's values per
/// consumer group go in; an event comes out for each group that changed since the previous one,
/// naming the group and the change ("billing: members 3 → 2"). A value type: times are explicit.
///
/// The first observation of a group is its baseline (no event); a counter that went down was
/// reset (a restarted exporter), not a rebalance; a group that is missing from one collection
/// keeps its last values.
public struct RebalanceDetector: Sendable {
    private var members: [String: Double] = [:]
    private var rebalances: [String: Double] = [:]

    /// The PromQL expressions whose results `observe` takes (per consumer group).
    public static let membersQuery = "max by (consumergroup) (kafka_consumergroup_members)"
    public static let rebalancesQuery = "max by (consumergroup) (strm_rebalances_total)"

    public init() {}

    public mutating func observe(atMs timeMs: Int64, members newMembers: [String: Double], rebalances newRebalances: [String: Double]) -> [Event] {
        var events: [Event] = []
        for group in Set(newMembers.keys).union(newRebalances.keys).sorted() {
            let before = members[group]
            let after = newMembers[group]
            let counted = newRebalances[group].flatMap { now in rebalances[group].map { now - $0 } }
            var changes: [String] = []
            var fields: [String: String] = ["source": "metrics"]
            if let before, let after, before != after {
                changes.append("members \(Self.count(before)) → \(Self.count(after))")
                fields["members_before"] = Self.count(before)
                fields["members_after"] = Self.count(after)
            }
            if let counted, counted > 0 {
                changes.append(counted == 1 ? "1 generation change" : "\(Self.count(counted)) generation changes")
                fields["generation_changes"] = Self.count(counted)
            }
            if !changes.isEmpty {
                events.append(Event(kind: .rebalance, timeMs: timeMs, labels: ["consumergroup": group],
                                    title: "rebalance \(group): " + changes.joined(separator: ", "), fields: fields))
            }
            if let after { members[group] = after }
            if let count = newRebalances[group] { rebalances[group] = count }
        }
        return events
    }

    private static func count(_ value: Double) -> String {
        value.isFinite && value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
