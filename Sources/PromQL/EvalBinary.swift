// Binary operators: scalar/scalar, vector/scalar, vector/vector with one-to-one, many-to-one
// and one-to-many matching, and the set operators, as Prometheus 2.42's VectorBinop,
// VectorscalarBinop, VectorAnd/Or/Unless.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import ScopeCore

/// Arithmetic operators drop the metric name; comparisons (without `bool`) and set operators
/// keep it.
@inline(__always) func dropsMetricName(_ op: BinaryOperator) -> Bool {
    switch op {
    case .add, .sub, .mul, .div, .pow, .mod: return true
    default: return false
    }
}

/// A binary operation between two scalars (comparisons give 1 or 0).
func scalarBinop(_ op: BinaryOperator, _ l: Double, _ r: Double) -> Double {
    switch op {
    case .add: return l + r
    case .sub: return l - r
    case .mul: return l * r
    case .div: return l / r
    case .pow: return pow(l, r)
    case .mod: return fmod(l, r)
    case .atan2: return atan2(l, r)
    case .eql: return l == r ? 1 : 0
    case .neq: return l != r ? 1 : 0
    case .gtr: return l > r ? 1 : 0
    case .lss: return l < r ? 1 : 0
    case .gte: return l >= r ? 1 : 0
    case .lte: return l <= r ? 1 : 0
    case .and, .or, .unless: return .nan
    }
}

/// A binary operation between two vector elements: the value and whether the element is kept
/// (comparisons keep the left value when true).
@inline(__always) func vectorElemBinop(_ op: BinaryOperator, _ l: Double, _ r: Double) -> (Double, Bool) {
    switch op {
    case .add: return (l + r, true)
    case .sub: return (l - r, true)
    case .mul: return (l * r, true)
    case .div: return (l / r, true)
    case .pow: return (pow(l, r), true)
    case .mod: return (fmod(l, r), true)
    case .atan2: return (atan2(l, r), true)
    case .eql: return (l, l == r)
    case .neq: return (l, l != r)
    case .gtr: return (l, l > r)
    case .lss: return (l, l < r)
    case .gte: return (l, l >= r)
    case .lte: return (l, l <= r)
    case .and, .or, .unless: return (l, false)
    }
}

/// The labels two elements are matched on: only the `on(…)` labels, or all but the
/// `ignoring(…)` labels and the metric name (also what Prometheus's `MatchLabels` prints in
/// matching errors).
private func matchSignature(_ l: Labels, _ matching: VectorMatching) -> Labels {
    matching.on ? l.keeping(Set(matching.matchingLabels)) : l.dropping(Set(matching.matchingLabels).union(["__name__"]))
}


extension Evaluator {
    func evalBinary(_ b: BinaryExpr, _ grid: Grid) throws(QueryError) -> Value {
        let lhs = try eval(b.lhs, grid)
        let rhs = try eval(b.rhs, grid)
        switch (lhs, rhs) {
        case (.scalar(let l), .scalar(let r)):
            var out = [Double](repeating: 0, count: grid.count)
            for i in 0..<grid.count { out[i] = scalarBinop(b.op, l[i], r[i]) }
            return .scalar(out)
        case (.vector(let v), .scalar(let s)):
            return .vector(try vectorScalarBinop(b, v, s, scalarOnLeft: false))
        case (.scalar(let s), .vector(let v)):
            return .vector(try vectorScalarBinop(b, v, s, scalarOnLeft: true))
        case (.vector(let l), .vector(let r)):
            let matching = b.matching ?? VectorMatching(cardinality: b.op.isSetOperator ? .manyToMany : .oneToOne)
            switch b.op {
            case .and, .or, .unless:
                return .vector(try setOperation(b, l, r, matching))
            default:
                return .vector(try vectorBinop(b, l, r, matching))
            }
        default:
            throw internalError("binary operation between \(b.lhs.type) and \(b.rhs.type)", at: b.position)
        }
    }

    private func vectorScalarBinop(_ b: BinaryExpr, _ v: VectorSeq, _ s: [Double], scalarOnLeft: Bool) throws(QueryError) -> VectorSeq {
        let op = b.op
        let returnBool = b.returnBool
        let drop = dropsMetricName(op) || returnBool
        return try mapSeries(v, at: b.position, labels: { drop ? $0.droppingMetricName : $0 }, value: { step, x in
            var l = x
            var r = s[step]
            if scalarOnLeft { swap(&l, &r) }
            var (value, keep) = vectorElemBinop(op, l, r)
            // A comparison keeps the vector's value even when the scalar is on the left.
            if op.isComparison && scalarOnLeft { value = r }
            if returnBool {
                value = keep ? 1 : 0
                keep = true
            }
            return keep ? value : nil
        })
    }

    private func vectorBinop(_ b: BinaryExpr, _ lhs: VectorSeq, _ rhs: VectorSeq, _ matching: VectorMatching) throws(QueryError) -> VectorSeq {
        let op = b.op
        let card = matching.cardinality
        guard card != .manyToMany else { throw internalError("many-to-many matching for \(op)", at: b.position) }
        // For one-to-many the sides swap: "many" is always `many`, "one" always `one`.
        let swapped = card == .oneToMany
        let many = swapped ? rhs : lhs
        let one = swapped ? lhs : rhs
        var manySig = [Labels?](repeating: nil, count: many.series.count)
        var oneSig = [Labels?](repeating: nil, count: one.series.count)
        let include = matching.include
        let keepSet = Set(matching.matchingLabels)

        var table = LabelTable()
        var resultIds: [Int64: Int32] = [:]
        var dup = StepDuplicateCheck()
        var steps = [[Elem]](repeating: [], count: lhs.steps.count)

        for si in 0..<steps.count {
            let manyElems = many.steps[si]
            let oneElems = one.steps[si]
            if manyElems.isEmpty || oneElems.isEmpty { continue }
            var oneBySig: [Labels: Elem] = [:]
            oneBySig.reserveCapacity(oneElems.count)
            for e in oneElems {
                let sig = oneSig[Int(e.id)] ?? matchSignature(one.series[Int(e.id)], matching)
                oneSig[Int(e.id)] = sig
                if let previous = oneBySig[sig] {
                    let side = swapped ? "left" : "right"
                    let labels = one.series[Int(e.id)]
                    throw error(.execution,
                                "found duplicate series for the match group \(matchSignature(labels, matching)) on the \(side) hand-side of the operation: [\(labels), \(one.series[Int(previous.id)])];many-to-many matching not allowed: matching labels must be unique on one side",
                                at: b.operatorPosition)
                }
                oneBySig[sig] = e
            }
            var matched: [Labels: Set<Int32>] = [:]
            var out: [Elem] = []
            for e in manyElems {
                let sig = manySig[Int(e.id)] ?? matchSignature(many.series[Int(e.id)], matching)
                manySig[Int(e.id)] = sig
                guard let o = oneBySig[sig] else { continue }
                var (l, r) = (e.value, o.value)
                if swapped { swap(&l, &r) }
                var (value, keep) = vectorElemBinop(op, l, r)
                if b.returnBool {
                    value = keep ? 1 : 0
                } else if !keep {
                    continue
                }
                // The result's labels, once per (many, one) pair.
                let key = Int64(e.id) << 32 | Int64(UInt32(bitPattern: o.id))
                let id: Int32
                if let known = resultIds[key] {
                    id = known
                } else {
                    var labels = many.series[Int(e.id)]
                    if dropsMetricName(op) { labels = labels.droppingMetricName }
                    if card == .oneToOne {
                        labels = matching.on ? labels.keeping(keepSet) : labels.dropping(keepSet)
                    }
                    let oneLabels = one.series[Int(o.id)]
                    for name in include {
                        // group_x labels come from the "one" side; an absent one is removed.
                        labels = labels.setting(name, orRemovingIfEmpty: oneLabels[name] ?? "")
                    }
                    if b.returnBool { labels = labels.droppingMetricName }
                    id = table.insert(labels).id
                    resultIds[key] = id
                }
                if card == .oneToOne {
                    if matched[sig] != nil {
                        throw error(.execution,
                                    "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)",
                                    at: b.operatorPosition)
                    }
                    matched[sig] = []
                } else {
                    if matched[sig, default: []].insert(id).inserted == false {
                        throw error(.execution, "multiple matches for labels: grouping labels must ensure unique matches",
                                    at: b.operatorPosition)
                    }
                }
                guard dup.firstAt(si, id) else { throw duplicateLabelset(at: b.position) }
                out.append(Elem(id: id, value: value))
            }
            steps[si] = out
        }
        return VectorSeq(series: table.labels, steps: steps)
    }

    private func setOperation(_ b: BinaryExpr, _ lhs: VectorSeq, _ rhs: VectorSeq, _ matching: VectorMatching) throws(QueryError) -> VectorSeq {
        // Both sides' series in one table; elements keep their own labels.
        var table = LabelTable()
        let lhsIds = lhs.series.map { table.insert($0).id }
        let rhsIds = rhs.series.map { table.insert($0).id }
        var lhsSig = [Labels?](repeating: nil, count: lhs.series.count)
        var rhsSig = [Labels?](repeating: nil, count: rhs.series.count)
        func lsig(_ id: Int32) -> Labels {
            if let s = lhsSig[Int(id)] { return s }
            let s = matchSignature(lhs.series[Int(id)], matching)
            lhsSig[Int(id)] = s
            return s
        }
        func rsig(_ id: Int32) -> Labels {
            if let s = rhsSig[Int(id)] { return s }
            let s = matchSignature(rhs.series[Int(id)], matching)
            rhsSig[Int(id)] = s
            return s
        }
        var dup = StepDuplicateCheck()
        var steps = [[Elem]](repeating: [], count: lhs.steps.count)
        for si in 0..<steps.count {
            let l = lhs.steps[si]
            let r = rhs.steps[si]
            var out: [Elem] = []
            switch b.op {
            case .and:
                if l.isEmpty || r.isEmpty { break }
                var right = Set<Labels>()
                for e in r { right.insert(rsig(e.id)) }
                for e in l where right.contains(lsig(e.id)) { out.append(Elem(id: lhsIds[Int(e.id)], value: e.value)) }
            case .or:
                var left = Set<Labels>()
                for e in l {
                    if !r.isEmpty { left.insert(lsig(e.id)) }
                    out.append(Elem(id: lhsIds[Int(e.id)], value: e.value))
                }
                for e in r where l.isEmpty || !left.contains(rsig(e.id)) {
                    out.append(Elem(id: rhsIds[Int(e.id)], value: e.value))
                }
            case .unless:
                if l.isEmpty || r.isEmpty {
                    for e in l { out.append(Elem(id: lhsIds[Int(e.id)], value: e.value)) }
                    break
                }
                var right = Set<Labels>()
                for e in r { right.insert(rsig(e.id)) }
                for e in l where !right.contains(lsig(e.id)) { out.append(Elem(id: lhsIds[Int(e.id)], value: e.value)) }
            default:
                throw internalError("set operation \(b.op)", at: b.position)
            }
            for e in out where !dup.firstAt(si, e.id) { throw duplicateLabelset(at: b.position) }
            steps[si] = out
        }
        return VectorSeq(series: table.labels, steps: steps)
    }
}
