import ScopeCore

/// What a select needs from the index, collected under the lock (phase A) and evaluated outside
/// it (phase B): postings intersections for `=` matchers, unions of per-value lists for the others
/// (a regex run once per distinct value), subtraction for matchers that also accept series lacking
/// the label, and matchers left to test on each candidate's labels when that is cheaper.
struct SelectPlan {
    enum Input {
        /// The union of these lists (the accepted values' series, or the rejected ones' when subtracting).
        case lists([[SeriesRef]])
        /// Every (value, series) of the label, to run the matcher on each distinct value.
        case values(nameAll: [SeriesRef], [(String, [SeriesRef])])
        /// Test each remaining candidate's label value (see `ResidualFilter`).
        case perCandidate

        var isLists: Bool {
            switch self {
            case .lists, .values: true
            case .perCandidate: false
            }
        }
    }

    struct Step {
        var matcher: LabelMatcher
        /// The matcher matches "": series lacking the label pass, so the step subtracts.
        var acceptsAbsent: Bool
        var input: Input
    }

    /// One list per `=` matcher with a non-empty value.
    var equalLists: [[SeriesRef]] = []
    var steps: [Step] = []
    /// Every series, when no step narrows from above (only matchers that accept absent labels).
    var all: [SeriesRef]? = nil

    /// Phase B: the matching refs, ascending, and the matchers still to test per candidate.
    func evaluate() throws(StoreError) -> (refs: [SeriesRef], residual: ResidualFilter) {
        var candidates: [SeriesRef]? = nil
        if !equalLists.isEmpty {
            let lists = equalLists.sorted { $0.count < $1.count }
            var current = lists[0]
            for list in lists.dropFirst() {
                if current.isEmpty { break }
                current = intersect(current, list)
            }
            candidates = current
        }
        var residual = ResidualFilter()
        for step in steps {
            if let current = candidates, current.isEmpty { return ([], residual) }
            let negated = step.acceptsAbsent
            let selected: [SeriesRef]
            switch step.input {
            case .perCandidate:
                residual.add(step.matcher, acceptsAbsent: step.acceptsAbsent)
                continue
            case .lists(let lists):
                selected = union(lists)
            case .values(let nameAll, let values):
                var hit: [[SeriesRef]] = []
                var miss: [[SeriesRef]] = []
                var hitCount = 0
                var missCount = 0
                for (value, list) in values {
                    // A regex on a long value can be slow: the query's time limit is checked per value.
                    if let limit = QueryDeadline.exceeded { throw .queryTimeout(limitMs: limit.limitMs) }
                    if step.matcher.matches(value) != negated {
                        hit.append(list)
                        hitCount += list.count
                    } else {
                        miss.append(list)
                        missCount += list.count
                    }
                }
                if miss.isEmpty {
                    selected = nameAll
                } else if missCount < hitCount && hit.count > 2 {
                    // Cheaper to remove the few misses from the name's list than to merge many hits.
                    selected = subtract(nameAll, union(miss))
                } else {
                    selected = union(hit)
                }
            }
            if step.acceptsAbsent {
                candidates = subtract(candidates ?? all ?? [], selected)
            } else {
                candidates = candidates.map { intersect($0, selected) } ?? selected
            }
        }
        return (candidates ?? all ?? [], residual)
    }
}

/// Matchers tested on each candidate's own labels (phase D, outside the lock), each distinct
/// value evaluated once.
struct ResidualFilter {
    private var matchers: [(matcher: LabelMatcher, acceptsAbsent: Bool)] = []
    private var memo: [[String: Bool]] = []

    var isEmpty: Bool { matchers.isEmpty }

    mutating func add(_ matcher: LabelMatcher, acceptsAbsent: Bool) {
        matchers.append((matcher, acceptsAbsent))
        memo.append([:])
    }

    mutating func accepts(_ labels: Labels) throws(StoreError) -> Bool {
        for i in matchers.indices {
            guard let value = labels[matchers[i].matcher.name] else {
                if matchers[i].acceptsAbsent { continue } else { return false }
            }
            let result: Bool
            if let known = memo[i][value] {
                result = known
            } else {
                if let limit = QueryDeadline.exceeded { throw .queryTimeout(limitMs: limit.limitMs) }
                result = matchers[i].matcher.matches(value)
                memo[i][value] = result
            }
            if !result { return false }
        }
        return true
    }
}
