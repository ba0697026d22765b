import ScopeCore

/// How a select evaluates the matchers that are not `name="value"` once it has candidates.
/// `.auto` picks per matcher by estimated cost; the other two exist so tests can check that both
/// paths agree with a brute-force filter.
enum MatcherStrategy: Sendable {
    case auto
    /// Always through the postings (union of the matching values' lists, intersect or subtract).
    case postingsOnly
    /// Whenever there are candidates, test each candidate's value (memoised per distinct value).
    case filterCandidates
}

/// Everything the store's lock protects. All methods assume the lock is held.
struct StoreState {
    let options: StoreOptions
    var symbols = SymbolTable()
    var series = SeriesTable()
    /// Label-set hash → series; `collisions` holds the rare further series with the same hash.
    var byHash: [Int: SeriesRef] = [:]
    var collisions: [Int: [SeriesRef]] = [:]
    var postings = PostingsIndex()
    /// Samples before this are refused (`tooOld`): it is where the last truncation cut.
    var minValidT: Int64 = .min
    /// The sum of `seriesCost` over the series held (checked against `maxMemoryBytes`).
    var memoryEstimate = 0

    /// What a series is estimated to hold in memory: its label text (interned, shared values
    /// counted in full, an upper bound), a per-label allowance for the postings and symbol
    /// entries, and a fixed allowance for its table entry and chunks (an hour at 15 s is ~500
    /// bytes of compressed samples).
    static func seriesCost(_ labels: Labels) -> Int {
        labels.pairs.reduce(1024) { $0 + $1.name.utf8.count + $1.value.utf8.count + 48 }
    }
    /// Per scrape target: the series (without explicit timestamps) its previous scrape exposed.
    var targets: [String: [SeriesRef]] = [:]
    /// Counters, and the in-memory sizes kept up to date incrementally.
    var stats = StoreStats()
    var strategy = MatcherStrategy.auto

    init(options: StoreOptions) {
        self.options = options
    }

    // MARK: Series lookup and creation

    func lookup(_ labels: Labels, hash: Int) -> MemSeries? {
        if let ref = byHash[hash], let s = series[ref], s.labels == labels { return s }
        if let refs = collisions[hash] {
            for ref in refs {
                if let s = series[ref], s.labels == labels { return s }
            }
        }
        return nil
    }

    /// The series for `labels` (normalised and validated by the caller), created if needed.
    mutating func getOrCreate(_ labels: Labels, hash: Int, reserved: Bool = false) throws(StoreError) -> MemSeries {
        if let existing = lookup(labels, hash: hash) { return existing }
        guard series.count < min(options.maxSeries + (reserved ? options.reservedSeries : 0), SeriesTable.maxSlots) else {
            stats.rejectedSeries += 1
            throw countRejected(.seriesLimit(limit: options.maxSeries, series: labels))
        }
        let cost = Self.seriesCost(labels)
        guard reserved || memoryEstimate + cost <= options.maxMemoryBytes else {
            stats.rejectedSeries += 1
            throw countRejected(.memoryLimit(limitBytes: options.maxMemoryBytes, series: labels))
        }
        memoryEstimate += cost
        var symbolPairs: [UInt32] = []
        symbolPairs.reserveCapacity(labels.count * 2)
        var interned: [Label] = []
        interned.reserveCapacity(labels.count)
        for pair in labels {
            let name = symbols.intern(pair.name)
            let value = symbols.intern(pair.value)
            symbolPairs.append(name)
            symbolPairs.append(value)
            interned.append(Label(symbols.string(name), symbols.string(value)))
        }
        let ref = series.nextRef()
        let created = MemSeries(ref: ref, labels: Labels(presorted: interned), labelSymbols: symbolPairs, hash: hash)
        series.insert(created)
        if byHash[hash] == nil {
            byHash[hash] = ref
        } else {
            collisions[hash, default: []].append(ref)
        }
        postings.add(ref, labelSymbols: symbolPairs)
        stats.seriesCreated += 1
        return created
    }

    /// Appends by labels, creating the series if needed — but never for a sample that would be
    /// refused anyway (a new series with no sample would only take a slot).
    mutating func append(labels: Labels, hash: Int, _ t: Int64, _ value: Double, reserved: Bool = false) throws(StoreError) -> MemSeries {
        if t < minValidT, lookup(labels, hash: hash) == nil {
            throw countRejected(.tooOld(series: labels, timestampMs: t, minValidMs: minValidT))
        }
        let s = try getOrCreate(labels, hash: hash, reserved: reserved)
        try append(s, t, value)
        return s
    }

    /// Counts a rejection and hands the error back for throwing.
    mutating func countRejected(_ error: StoreError) -> StoreError {
        if let reason = error.reason { stats.samplesRejected[reason, default: 0] += 1 }
        return error
    }

    // MARK: Appending

    /// Appends one sample. Returns false for an exact repeat of the newest sample (a no-op).
    /// With `counted: false` (staleness markers) a refusal is not counted as a rejected sample.
    @discardableResult
    mutating func append(_ s: MemSeries, _ t: Int64, _ value: Double, counted: Bool = true) throws(StoreError) -> Bool {
        let bits = value.bitPattern
        if s.hasSamples {
            if t < s.lastT {
                let error = StoreError.outOfOrder(series: s.labels, timestampMs: t, newestMs: s.lastT)
                throw counted ? countRejected(error) : error
            }
            if t == s.lastT {
                if bits == s.lastBits {
                    if counted { stats.duplicatesIgnored += 1 }
                    return false
                }
                let error = StoreError.duplicateTimestamp(series: s.labels, timestampMs: t, stored: Double(bitPattern: s.lastBits), rejected: value)
                throw counted ? countRejected(error) : error
            }
        }
        if t < minValidT {
            let error = StoreError.tooOld(series: s.labels, timestampMs: t, minValidMs: minValidT)
            throw counted ? countRejected(error) : error
        }
        if s.head.count > 0 {
            let (span, overflow) = t.subtractingReportingOverflow(s.head.minT)
            if s.head.count >= options.chunkMaxSamples || overflow || span >= options.effectiveChunkSpanMs {
                let sealed = s.head.sealed()
                s.chunks.append(sealed)
                // Size the next head like the last chunk: regular series never regrow their buffer.
                s.head = XORChunkAppender(reservingBytes: sealed.byteCount + 16)
                stats.chunksSealed += 1
            }
        } else if s.head.byteCount == 0 && !s.hasSamples {
            s.head = XORChunkAppender(reservingBytes: 128)
        }
        let before = s.head.byteCount
        if s.head.count == 0 { stats.chunks += 1 }
        s.head.append(timestampMs: t, value: value)
        stats.chunkBytes += s.head.byteCount - before
        stats.samplesInMemory += 1
        stats.samplesAppended += 1
        s.lastT = t
        s.lastBits = bits
        s.hasSamples = true
        return true
    }

    /// Appends by ref, counting every refusal.
    @discardableResult
    mutating func append(ref: SeriesRef, _ t: Int64, _ value: Double) throws(StoreError) -> Bool {
        guard let s = series[ref] else { throw countRejected(.unknownSeries(ref)) }
        return try append(s, t, value)
    }

    // MARK: Staleness

    /// Records what a target exposed in this scrape and writes a staleness marker at `t` for every
    /// series it exposed last time but not now. Returns the markers written and the distinct
    /// series now tracked for the target.
    mutating func finishScrape(target: String, exposed: [SeriesRef], at t: Int64, forget: Bool) -> (markers: Int, tracked: Int) {
        let previous = targets[target] ?? []
        let now = Set(exposed)
        if forget {
            targets[target] = nil
        } else {
            // Kept in ascending order without repeats: compact, and deterministic marker order.
            targets[target] = now.count == exposed.count && exposed == exposed.sorted() ? exposed : now.sorted()
        }
        var written = 0
        for ref in previous where !now.contains(ref) {
            guard let s = series[ref] else { continue }
            // A series that already has newer data (another source wrote it) keeps it: the marker
            // is dropped, as Prometheus ignores out-of-order staleness markers.
            if (try? append(s, t, .staleMarker, counted: false)) == true { written += 1 }
        }
        stats.staleMarkersWritten += UInt64(written)
        return (written, now.count)
    }

    // MARK: Selecting

    /// Phase A of a select (under the lock): the postings lists each matcher needs, collected
    /// without evaluating anything expensive — arrays are copy-on-write, so this is retains, plus
    /// (value, list) pairs for a regex that must be run per distinct value. Nil: nothing matches.
    func plan(_ matchers: [LabelMatcher]) -> SelectPlan? {
        var plan = SelectPlan()
        var intersecting: [LabelMatcher] = []
        var subtracting: [LabelMatcher] = []
        for m in matchers {
            if m.kind == .equal && !m.value.isEmpty {
                guard let name = symbols.id(m.name), let value = symbols.id(m.value),
                      let list = postings.byName[name]?.byValue[value] else { return nil }
                plan.equalLists.append(list)
            } else if m.matchesEmpty {
                subtracting.append(m)
            } else {
                intersecting.append(m)
            }
        }
        // An upper bound of the candidates the `=` matchers leave, for the evaluation choice.
        var candidateBound = plan.equalLists.map(\.count).min()
        // Matchers that need the label (do not match "") narrow first, then those that also
        // accept series lacking the label.
        for (m, acceptsAbsent) in intersecting.map({ ($0, false) }) + subtracting.map({ ($0, true) }) {
            guard let name = symbols.id(m.name), let namePostings = postings.byName[name] else {
                // No series has this label: every series has the value "".
                if acceptsAbsent { continue } else { return nil }
            }
            if let bound = candidateBound, shouldFilter(candidates: bound, m, namePostings) {
                plan.steps.append(.init(matcher: m, acceptsAbsent: acceptsAbsent, input: .perCandidate))
                continue
            }
            // Intersect with the series whose value the matcher accepts, or subtract those whose
            // (present) value it rejects.
            let negated = acceptsAbsent
            let input: SelectPlan.Input
            switch valueSet(m, negated: negated) {
            case .all: input = .lists([namePostings.all])
            case .none: input = .lists([])
            case .literals(let values):
                input = .lists(values.compactMap { value in symbols.id(value).flatMap { namePostings.byValue[$0] } })
            case .predicate:
                input = .values(nameAll: namePostings.all, namePostings.byValue.map { (symbols.string($0.key), $0.value) })
            }
            plan.steps.append(.init(matcher: m, acceptsAbsent: acceptsAbsent, input: input))
            if !acceptsAbsent && candidateBound == nil { candidateBound = namePostings.all.count }
        }
        if plan.equalLists.isEmpty && !plan.steps.contains(where: { !$0.acceptsAbsent && $0.input.isLists }) {
            plan.all = postings.all
        }
        return plan
    }

    private enum ValueSet {
        case all, none
        case literals(Set<String>)
        case predicate
    }

    /// The values (present, so non-empty) accepted by `m` (or rejected by it, when `negated`).
    private func valueSet(_ m: LabelMatcher, negated: Bool) -> ValueSet {
        let positive = (m.kind == .equal || m.kind == .regexMatch) != negated
        switch m.valueShape {
        case .anyValue, .anyNonEmptyValue: return positive ? .all : .none
        case .literals(let values): return positive ? .literals(values) : .predicate
        case .general: return .predicate
        }
    }

    /// Whether testing each candidate's own label value is cheaper than going through the postings.
    private func shouldFilter(candidates: Int, _ m: LabelMatcher, _ namePostings: PostingsIndex.NamePostings) -> Bool {
        switch strategy {
        case .postingsOnly: return false
        case .filterCandidates: return true
        case .auto: break
        }
        switch m.valueShape {
        case .anyValue, .anyNonEmptyValue, .literals: return false  // postings lookups, cheap
        case .general:
            // Postings: a regex run per distinct value (~1 µs with Swift's Regex) and a merge of the
            // lists (~5 ns a ref). Per candidate: its chunks are gathered before the test (~200 ns,
            // a head chunk is copied), then a memoised lookup. In units of ~5 ns:
            return candidates * 40 < namePostings.byValue.count * 200 + namePostings.all.count
        }
    }

    /// Phase C of a select (under the lock, a slice of refs at a time): each series' labels and
    /// the chunks overlapping `minMs...maxMs`, flattened. Series without such chunks are skipped.
    func gather(_ refs: ArraySlice<SeriesRef>, minMs: Int64, maxMs: Int64, into gathered: inout Gathered) {
        for ref in refs {
            guard let s = series[ref] else { continue }
            let start = gathered.chunks.count
            // Sealed chunks ascend in time and do not overlap: skip to the first that can hold minMs.
            var low = 0
            var high = s.chunks.count
            while low < high {
                let mid = (low + high) / 2
                if s.chunks[mid].maxT < minMs { low = mid + 1 } else { high = mid }
            }
            var i = low
            while i < s.chunks.count, s.chunks[i].minT <= maxMs {
                gathered.chunks.append(s.chunks[i])
                i += 1
            }
            if s.head.count > 0, s.head.maxT >= minMs, s.head.minT <= maxMs {
                gathered.chunks.append(s.head.snapshot)
            }
            guard gathered.chunks.count > start else { continue }
            gathered.series.append((s.labels, start..<gathered.chunks.count))
        }
    }

    struct Gathered {
        var series: [(labels: Labels, chunks: Range<Int>)] = []
        var chunks: [XORChunk] = []

        mutating func removeAll() {
            series.removeAll(keepingCapacity: true)
            chunks.removeAll(keepingCapacity: true)
        }
    }

    // MARK: Retention

    /// Drops whole chunks ending before `cutoff` from the given series; removes series left empty.
    mutating func truncate(_ refs: ArraySlice<SeriesRef>, before cutoff: Int64, into summary: inout TruncateSummary) {
        var removed = Set<SeriesRef>()
        var removedPairs: [(name: UInt32, value: UInt32)] = []
        for ref in refs {
            guard let s = series[ref] else { continue }
            var dropCount = 0
            while dropCount < s.chunks.count, s.chunks[dropCount].maxT < cutoff { dropCount += 1 }
            if dropCount > 0 {
                for chunk in s.chunks[..<dropCount] {
                    summary.samplesDropped += chunk.count
                    summary.bytesFreed += chunk.byteCount
                    stats.samplesInMemory -= chunk.count
                    stats.chunkBytes -= chunk.byteCount
                }
                summary.chunksDropped += dropCount
                stats.chunks -= dropCount
                stats.chunksDropped += UInt64(dropCount)
                s.chunks.removeFirst(dropCount)
                if s.chunks.isEmpty { s.chunks = [] }  // give the array's storage back too
            }
            if s.chunks.isEmpty, s.head.count > 0, s.head.maxT < cutoff {
                summary.samplesDropped += s.head.count
                summary.bytesFreed += s.head.byteCount
                summary.chunksDropped += 1
                stats.samplesInMemory -= s.head.count
                stats.chunkBytes -= s.head.byteCount
                stats.chunks -= 1
                stats.chunksDropped += 1
                s.head = XORChunkAppender()
            }
            if s.isEmpty {
                removed.insert(ref)
                var i = 0
                while i < s.labelSymbols.count {
                    removedPairs.append((s.labelSymbols[i], s.labelSymbols[i + 1]))
                    i += 2
                }
            }
        }
        guard !removed.isEmpty else { return }
        postings.remove(removed, pairs: removedPairs)
        for ref in removed {
            guard let s = series.remove(ref) else { continue }
            if byHash[s.hash] == ref {
                if var others = collisions[s.hash], !others.isEmpty {
                    byHash[s.hash] = others.removeFirst()
                    collisions[s.hash] = others.isEmpty ? nil : others
                } else {
                    byHash[s.hash] = nil
                }
            } else if var others = collisions[s.hash] {
                others.removeAll { $0 == ref }
                collisions[s.hash] = others.isEmpty ? nil : others
            }
            for symbol in s.labelSymbols { symbols.release(symbol) }
            memoryEstimate -= Self.seriesCost(s.labels)
        }
        summary.seriesRemoved += removed.count
        stats.seriesRemoved += UInt64(removed.count)
        // Tables never shrink on their own: give their storage back when mostly empty.
        series.compact()
        if series.isEmpty {
            byHash = [:]
            collisions = [:]
        } else if byHash.count * 4 < byHash.capacity && byHash.capacity > 1024 {
            byHash = Dictionary(uniqueKeysWithValues: byHash.map { ($0.key, $0.value) })
        }
    }
}
