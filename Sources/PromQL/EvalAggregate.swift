// Aggregation operators, as Prometheus 2.42's `aggregation()`: groups in order of first
// appearance at each step, running mean for avg, Welford for stddev/stdvar, Go-heap selection
// for topk/bottomk.

import ScopeCore

private struct Group {
    var id: Int32
    var value: Double
    var mean: Double
    var count: Int
    /// topk/bottomk candidates (input series id, value) or quantile values.
    var heap: [Elem]
}

/// Prometheus's `vectorByValueHeap` order: NaN sorts first, then ascending.
@inline(__always) private func valueHeapLess(_ a: Elem, _ b: Elem) -> Bool { a.value.isNaN || a.value < b.value }
/// `vectorByReverseValueHeap`: NaN first, then descending.
@inline(__always) private func reverseValueHeapLess(_ a: Elem, _ b: Elem) -> Bool { a.value.isNaN || a.value > b.value }

extension Evaluator {
    func evalAggregate(_ a: AggregateExpr, _ grid: Grid) throws(QueryError) -> Value {
        var params: [Double] = []
        var valueLabel = ""
        if let p = a.param {
            if a.op == .countValues {
                valueLabel = try stringValue(p)
            } else {
                params = try scalarValue(p, grid)
            }
        }
        let input = try vectorValue(a.expr, grid)
        if a.op == .countValues && !isValidLabelName(valueLabel) {
            throw error(.execution, "invalid label name \(goQuote(valueLabel))", at: a.position)
        }

        let grouping = Set(a.grouping)
        func groupLabels(_ l: Labels) -> Labels {
            a.without ? l.dropping(grouping.union(["__name__"])) : l.keeping(grouping)
        }

        var table = LabelTable()
        var groupOf = [Int32](repeating: -1, count: input.series.count)
        var slotOf: [Int] = []
        var stampOf: [Int] = []
        var steps = [[Elem]](repeating: [], count: grid.count)
        let op = a.op
        let isSelection = op == .topk || op == .bottomk

        for si in 0..<grid.count {
            let elems = input.steps[si]
            var k: Int64 = 0
            if isSelection {
                let f = params[si]
                guard convertibleToInt64(f) else {
                    throw error(.execution, "Scalar value \(goFormatG(f)) overflows int64", at: a.position)
                }
                k = Int64(f)
                if k < 1 { continue }
            }
            var groups: [Group] = []
            for e in elems {
                let v = e.value
                // The group: by series (cached), or by series and value for count_values.
                let gid: Int32
                if op == .countValues {
                    let labels = input.series[Int(e.id)].setting(valueLabel, goFormatFloatF(v))
                    gid = table.insert(a.without ? labels.dropping(grouping.union(["__name__"])) : labels.keeping(grouping.union([valueLabel]))).id
                } else if groupOf[Int(e.id)] >= 0 {
                    gid = groupOf[Int(e.id)]
                } else {
                    gid = table.insert(groupLabels(input.series[Int(e.id)])).id
                    groupOf[Int(e.id)] = gid
                }
                let g = Int(gid)
                if g >= stampOf.count {
                    stampOf.append(contentsOf: repeatElement(-1, count: g - stampOf.count + 1))
                    slotOf.append(contentsOf: repeatElement(0, count: g - slotOf.count + 1))
                }
                if stampOf[g] != si {
                    // A new group at this step.
                    stampOf[g] = si
                    slotOf[g] = groups.count
                    var group = Group(id: gid, value: v, mean: v, count: 1, heap: [])
                    switch op {
                    case .stddev, .stdvar: group.value = 0
                    case .topk, .bottomk, .quantile: group.heap = [e]
                    case .group: group.value = 1
                    default: break
                    }
                    groups.append(group)
                    continue
                }
                let slot = slotOf[g]
                switch op {
                case .sum:
                    groups[slot].value += v
                case .avg:
                    groups[slot].count += 1
                    let mean = groups[slot].mean
                    if mean.isInfinite {
                        if v.isInfinite && (mean > 0) == (v > 0) { break }
                        if !v.isInfinite && !v.isNaN { break }
                    }
                    let n = Double(groups[slot].count)
                    groups[slot].mean += v / n - mean / n
                case .group:
                    break
                case .max:
                    if groups[slot].value < v || groups[slot].value.isNaN { groups[slot].value = v }
                case .min:
                    if groups[slot].value > v || groups[slot].value.isNaN { groups[slot].value = v }
                case .count, .countValues:
                    groups[slot].count += 1
                case .stddev, .stdvar:
                    groups[slot].count += 1
                    let delta = v - groups[slot].mean
                    groups[slot].mean += delta / Double(groups[slot].count)
                    groups[slot].value += delta * (v - groups[slot].mean)
                case .topk:
                    let h = groups[slot].heap
                    if Int64(h.count) < k || h[0].value < v || h[0].value.isNaN {
                        if Int64(h.count) == k {
                            if k == 1 {
                                groups[slot].heap[0] = e
                                break
                            }
                            GoHeap.pop(&groups[slot].heap, valueHeapLess)
                        }
                        GoHeap.push(&groups[slot].heap, e, valueHeapLess)
                    }
                case .bottomk:
                    let h = groups[slot].heap
                    if Int64(h.count) < k || h[0].value > v || h[0].value.isNaN {
                        if Int64(h.count) == k {
                            if k == 1 {
                                groups[slot].heap[0] = e
                                break
                            }
                            GoHeap.pop(&groups[slot].heap, reverseValueHeapLess)
                        }
                        GoHeap.push(&groups[slot].heap, e, reverseValueHeapLess)
                    }
                case .quantile:
                    groups[slot].heap.append(e)
                }
            }

            var out: [Elem] = []
            out.reserveCapacity(groups.count)
            for var group in groups {
                var value = group.value
                switch op {
                case .avg: value = group.mean
                case .count, .countValues: value = Double(group.count)
                case .stdvar: value = group.value / Double(group.count)
                case .stddev: value = (group.value / Double(group.count)).squareRoot()
                case .topk:
                    // The heap keeps the lowest on top: reverse its order.
                    if group.heap.count > 1 { goSort(&group.heap) { valueHeapLess($1, $0) } }
                    out.append(contentsOf: group.heap)
                    continue
                case .bottomk:
                    if group.heap.count > 1 { goSort(&group.heap) { reverseValueHeapLess($1, $0) } }
                    out.append(contentsOf: group.heap)
                    continue
                case .quantile:
                    var values = group.heap.map(\.value)
                    value = quantile(params[si], &values)
                default: break
                }
                out.append(Elem(id: group.id, value: value))
            }
            steps[si] = out
        }
        // topk/bottomk keep the input series (and their labels); the others answer per group.
        return .vector(VectorSeq(series: isSelection ? input.series : table.labels, steps: steps))
    }
}
