import ScopeCore
import Synchronization

/// strmscope's own metrics (OTLP requests by status, dropped points, queue depth, push and
/// collection durations), exposed on /metrics beside what it collects. Thread-safe: the
/// receiver's event loops, the collector and the sender thread all write here.
public final class SelfMetrics: Sendable {
    private struct Entry {
        var type: MetricType
        var help: String
        var values: [Labels: Double] = [:]
        var order: [Labels] = []
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var names: [String] = []
    }

    private let state = Mutex(State())

    public init() {}

    /// Declares a family so it is exposed (with value 0 for `labels`) before anything happens:
    /// a rate() over a counter needs its first sample before the first increment.
    public func declare(_ name: String, type: MetricType, help: String, labels: [Labels] = [Labels()]) {
        state.withLock { state in
            if state.entries[name] == nil {
                state.entries[name] = Entry(type: type, help: help)
                state.names.append(name)
            }
            for l in labels where state.entries[name]!.values[l] == nil {
                state.entries[name]!.values[l] = 0
                state.entries[name]!.order.append(l)
            }
        }
    }

    public func add(_ name: String, _ labels: Labels = Labels(), _ delta: Double) {
        update(name, labels) { $0 += delta }
    }

    public func set(_ name: String, _ labels: Labels = Labels(), _ value: Double) {
        update(name, labels) { $0 = value }
    }

    public func value(_ name: String, _ labels: Labels = Labels()) -> Double {
        state.withLock { $0.entries[name]?.values[labels] ?? 0 }
    }

    private func update(_ name: String, _ labels: Labels, _ change: (inout Double) -> Void) {
        state.withLock { state in
            precondition(state.entries[name] != nil, "self metric \(name) used before declare()")
            if state.entries[name]!.values[labels] == nil {
                state.entries[name]!.values[labels] = 0
                state.entries[name]!.order.append(labels)
            }
            change(&state.entries[name]!.values[labels]!)
        }
    }

    public var families: [MetricFamily] {
        state.withLock { state in
            state.names.map { name in
                let entry = state.entries[name]!
                var family = MetricFamily(name: name, type: entry.type, help: entry.help)
                for labels in entry.order { family.add(labels, entry.values[labels]!) }
                return family
            }
        }
    }
}
