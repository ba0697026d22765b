import ScopeCore

/// Rebalances of consumer groups as an outside observer sees them: no API gives the generation
/// id, so a rebalance is read from what DescribeGroups answers between two collections — a state
/// transition (Stable → PreparingRebalance → CompletingRebalance → Stable), members joining or
/// leaving, or an assignment that moved. Each change becomes one event naming the group and
/// what changed ("g1: Stable → PreparingRebalance; members 1 → 2, joined c2 (/10.0.0.7)").
///
/// `rebalances` counts rebalances, not transitions: one each time a group enters a rebalancing
/// state from a settled one, or when its members or assignment changed while both collections
/// saw it settled (the whole rebalance fell between them). A value type: times are explicit.
///
/// The first sight of a group is its baseline (no event). A group missing from a collection
/// that described others is gone (deleted, expired): it is forgotten, so groups that come and go
/// (console consumers) do not accumulate; a collection that described none changes nothing.
public struct GroupChangeDetector: Sendable {
    private var last: [String: (state: GroupState, members: [GroupMember])] = [:]
    public private(set) var rebalances: [String: Int] = [:]

    public init() {}

    public mutating func observe(_ groups: [Group], atMs timeMs: Int64) -> [Event] {
        var events: [Event] = []
        let described = Set(groups.filter { $0.state != nil && $0.members != nil }.map(\.name))
        if !described.isEmpty {
            for name in last.keys where !described.contains(name) {
                last[name] = nil
                rebalances[name] = nil
            }
        }
        for group in groups {
            guard let state = group.state, let members = group.members else { continue }
            defer { last[group.name] = (state, members) }
            guard let before = last[group.name] else {
                rebalances[group.name] = rebalances[group.name] ?? 0
                continue
            }
            let oldIDs = Set(before.members.map(\.memberID)), newIDs = Set(members.map(\.memberID))
            let joined = members.filter { !oldIDs.contains($0.memberID) }
            let left = before.members.filter { !newIDs.contains($0.memberID) }
            let moved = members.contains { member in
                before.members.first { $0.memberID == member.memberID }.map { $0.assignment != member.assignment } ?? false
            }
            guard before.state != state || !joined.isEmpty || !left.isEmpty || moved else { continue }

            let entered = state.isRebalancing && !before.state.isRebalancing
            let unseen = !state.isRebalancing && !before.state.isRebalancing && (!joined.isEmpty || !left.isEmpty || moved)
            if entered || unseen { rebalances[group.name, default: 0] += 1 }

            var parts: [String] = []
            var fields = ["source": "kafka", "state_before": before.state.rawValue, "state_after": state.rawValue,
                          "members_before": String(before.members.count), "members_after": String(members.count)]
            if before.state != state { parts.append("\(before.state.rawValue) → \(state.rawValue)") }
            if before.members.count != members.count { parts.append("members \(before.members.count) → \(members.count)") }
            if !joined.isEmpty {
                parts.append("joined " + joined.map(Self.describe).joined(separator: ", "))
                fields["joined"] = joined.map(\.clientID).joined(separator: ",")
            }
            if !left.isEmpty {
                parts.append("left " + left.map(Self.describe).joined(separator: ", "))
                fields["left"] = left.map(\.clientID).joined(separator: ",")
            }
            if moved && joined.isEmpty && left.isEmpty { parts.append("assignment changed") }
            events.append(Event(kind: .rebalance, timeMs: timeMs, labels: ["consumergroup": group.name],
                                title: "rebalance \(group.name): " + parts.joined(separator: "; "), fields: fields))
        }
        return events
    }

    /// A member as an engineer recognises it: its client id and the host it connects from.
    static func describe(_ member: GroupMember) -> String {
        member.host.isEmpty ? member.clientID : "\(member.clientID) (\(member.host))"
    }
}
