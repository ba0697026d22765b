import ScopeCore
import Synchronization

/// strmscope's in-memory time-series database: interned label sets, a postings index,
/// Gorilla-compressed chunks, staleness markers per scrape target, retention by age, a series
/// limit, a per-query series limit and an event timeline.
///
/// Thread-safe, `Sendable`, no actor hops. Samples and the index sit behind one reader-writer
/// lock (`RWLocked`: selects share it, writers are preferred), held briefly and never for work
/// proportional to a whole query or a whole scrape:
/// - appends touch one series each; the batch APIs take the lock per slice of `lockSlice` samples;
///   label sets are normalised, validated and hashed before the lock is taken;
/// - a select takes it shared (A) to collect the postings lists its matchers need — copy-on-write arrays,
///   so retains, and for a regex the (value, list) pairs, but no regex runs under the lock — then
///   (B) intersects, unions, subtracts and runs regexes outside it, (C) takes it once per slice of
///   `lockSlice` series to collect references to their chunks (sealed chunks are immutable values,
///   a head chunk is copied — at most ~250 bytes), and (D) decodes outside it;
/// - retention works through the series a slice at a time.
/// A select therefore sees each series at one instant, not all series at the same instant (as
/// Prometheus's head). Events have a lock of their own. The select counters are atomics.
public final class SeriesStore: Queryable, Sendable {
    public let options: StoreOptions
    private let clock: any Clock
    private let state: RWLocked<StoreState>
    private let timeline: RWLocked<EventTimeline>
    private let selects = Atomic<UInt64>(0)
    private let selectsRefused = Atomic<UInt64>(0)

    /// Samples appended per lock acquisition by the batch APIs.
    static let lockSlice = 1024

    public init(options: StoreOptions = StoreOptions(), clock: any Clock = SystemClock()) {
        precondition(options.maxSeries >= 0 && options.maxSeriesPerQuery >= 0, "limits are not negative")
        precondition(options.chunkMaxSamples > 0 && options.retentionMs > 0, "chunks hold samples; retention is positive")
        self.options = options
        self.clock = clock
        self.state = RWLocked(StoreState(options: options))
        self.timeline = RWLocked(EventTimeline(maxEvents: options.maxEvents))
    }

    // MARK: - Appending

    /// Appends a sample to the series named by `labels` (`__name__` included), creating the series
    /// if it is new. Labels with an empty value are dropped first (an empty value means "absent").
    /// Returns the series' ref for the fast path. An exact repeat of the newest sample is a no-op.
    /// `reserved`: the series may use the room kept above the limit for a collector's own
    /// series about its sources (`StoreOptions.reservedSeries`).
    @discardableResult
    public func append(_ labels: Labels, timestampMs: Int64, value: Double, reserved: Bool = false) throws(StoreError) -> SeriesRef {
        let normalized = try normalize(labels)
        let hash = normalized.hashValue
        return try state.write { (s: inout StoreState) throws(StoreError) -> SeriesRef in
            try s.append(labels: normalized, hash: hash, timestampMs, value, reserved: reserved).ref
        }
    }

    /// Appends a sample by ref: no label hashing or lookup. Fails with `unknownSeries` when the
    /// series has been removed by retention; append by labels then.
    public func append(ref: SeriesRef, timestampMs: Int64, value: Double) throws(StoreError) {
        try state.write { (s: inout StoreState) throws(StoreError) in
            _ = try s.append(ref: ref, timestampMs, value)
        }
    }

    /// Appends many samples by ref, taking the lock once per slice. Refusals are counted and
    /// summarised, never thrown.
    public func append(_ samples: [RefSample]) -> AppendSummary {
        var summary = AppendSummary()
        var index = 0
        while index < samples.count {
            let end = min(samples.count, index + Self.lockSlice)
            state.write { s in
                for sample in samples[index..<end] {
                    do throws(StoreError) {
                        if try s.append(ref: sample.ref, sample.timestampMs, sample.value) {
                            summary.appended += 1
                        } else {
                            summary.duplicatesIgnored += 1
                        }
                    } catch {
                        summary.record(error)
                    }
                }
            }
            index = end
        }
        return summary
    }

    /// Appends many samples by labels (`__name__` included): labels are checked and hashed
    /// outside the lock, which is taken once per slice. Refusals are counted and summarised,
    /// never thrown (a receiver keeps going past one bad series).
    public func append(labeled samples: [(labels: Labels, timestampMs: Int64, value: Double)]) -> AppendSummary {
        var summary = AppendSummary()
        var index = 0
        var prepared: [(labels: Labels, hash: Int, timestampMs: Int64, value: Double)] = []
        prepared.reserveCapacity(min(samples.count, Self.lockSlice))
        while index < samples.count {
            let end = min(samples.count, index + Self.lockSlice)
            prepared.removeAll(keepingCapacity: true)
            for sample in samples[index..<end] {
                do throws(StoreError) {
                    let normalized = try normalize(sample.labels)
                    prepared.append((normalized, normalized.hashValue, sample.timestampMs, sample.value))
                } catch {
                    summary.record(error)
                }
            }
            state.write { s in
                for sample in prepared {
                    do throws(StoreError) {
                        _ = try s.append(labels: sample.labels, hash: sample.hash, sample.timestampMs, sample.value)
                        summary.appended += 1
                    } catch {
                        summary.record(error)
                    }
                }
            }
            index = end
        }
        return summary
    }

    /// The ref of an existing series (nil if there is none with exactly these labels).
    public func ref(for labels: Labels) -> SeriesRef? {
        guard let normalized = try? normalize(labels, count: false) else { return nil }
        let hash = normalized.hashValue
        return state.read { $0.lookup(normalized, hash: hash)?.ref }
    }

    // MARK: - Scrapes and staleness

    /// Stores one scrape of a target (`targetKey` identifies it, e.g. `job/instance` or its URL):
    /// samples without their own timestamp are stored at `timestampMs`; then a staleness marker is
    /// written at `timestampMs` for every series the target's previous scrape exposed and this one
    /// does not, as Prometheus does. Samples with an explicit timestamp are stored at it and not
    /// tracked for staleness.
    @discardableResult
    public func ingestScrape(targetKey: String, samples: [ScrapedSample], timestampMs: Int64) -> ScrapeSummary {
        var summary = ScrapeSummary()
        var prepared: [(labels: Labels, hash: Int, t: Int64, value: Double, tracked: Bool)] = []
        prepared.reserveCapacity(samples.count)
        var invalid: [StoreError] = []
        for sample in samples {
            do throws(StoreError) {
                let labels = try normalize(sample.labels, count: false)
                prepared.append((labels, labels.hashValue, sample.timestampMs ?? timestampMs, sample.value, sample.timestampMs == nil))
            } catch {
                invalid.append(error)
            }
        }
        // All or nothing: a scrape that would take the store past its series limit is refused
        // whole (its target fails alone), never stored in part at the others' expense.
        let (held, limit) = state.read { ($0.series.count, $0.options.maxSeries) }
        if held + prepared.count > limit {
            let new = state.read { s in
                var missing = Set<Labels>()
                for sample in prepared where s.lookup(sample.labels, hash: sample.hash) == nil { missing.insert(sample.labels) }
                return missing.count
            }
            if held + new > limit {
                summary.refused = "the scrape would add \(new) new series to the \(held) held, over the series limit of \(limit)"
                return summary
            }
        }
        var exposed: [SeriesRef] = []
        exposed.reserveCapacity(prepared.count)
        if !invalid.isEmpty {
            state.write { s in for error in invalid { summary.samples.record(s.countRejected(error)) } }
        }
        var index = 0
        while index < prepared.count {
            let end = min(prepared.count, index + Self.lockSlice)
            state.write { s in
                for sample in prepared[index..<end] {
                    do throws(StoreError) {
                        let series: MemSeries
                        if let existing = s.lookup(sample.labels, hash: sample.hash) {
                            series = existing
                        } else {
                            // Never create a series for a sample that would be refused anyway.
                            guard sample.t >= s.minValidT else {
                                throw s.countRejected(.tooOld(series: sample.labels, timestampMs: sample.t, minValidMs: s.minValidT))
                            }
                            series = try s.getOrCreate(sample.labels, hash: sample.hash)
                        }
                        // Exposed, even if this sample is refused (out of order, duplicate).
                        if sample.tracked { exposed.append(series.ref) }
                        if try s.append(series, sample.t, sample.value) {
                            summary.samples.appended += 1
                        } else {
                            summary.samples.duplicatesIgnored += 1
                        }
                    } catch {
                        summary.samples.record(error)
                    }
                }
            }
            index = end
        }
        (summary.staleMarkers, summary.seriesTracked) = state.write { s in
            s.finishScrape(target: targetKey, exposed: exposed, at: timestampMs, forget: false)
        }
        return summary
    }

    /// The target could not be scraped: every series of its last scrape gets a staleness marker at
    /// `timestampMs` (so they stop showing after one step, not after the 5 m lookback). Returns the
    /// number of markers written.
    @discardableResult
    public func markTargetDown(targetKey: String, timestampMs: Int64) -> Int {
        state.write { $0.finishScrape(target: targetKey, exposed: [], at: timestampMs, forget: false).markers }
    }

    /// The target is gone from the configuration: markers as for `markTargetDown`, and the store
    /// forgets it.
    @discardableResult
    public func removeTarget(targetKey: String, timestampMs: Int64) -> Int {
        state.write { $0.finishScrape(target: targetKey, exposed: [], at: timestampMs, forget: true).markers }
    }

    /// Targets whose last scrape is tracked for staleness.
    public var targetKeys: [String] {
        state.read { Array($0.targets.keys) }.sorted()
    }

    // MARK: - Reading

    /// Every series matching all `matchers` with its samples in `minMs...maxMs` (staleness markers
    /// included), in series-creation order; series without samples in the range are left out.
    /// Refuses (`StoreError.querySeriesLimit`) a select that would return more than
    /// `options.maxSeriesPerQuery` series.
    public func select(_ matchers: [LabelMatcher], minMs: Int64, maxMs: Int64) throws(StoreError) -> [Series] {
        try select(matchers, minMs: minMs, maxMs: maxMs, seriesLimit: options.maxSeriesPerQuery)
    }

    /// `select` with an explicit per-query series limit.
    public func select(_ matchers: [LabelMatcher], minMs: Int64, maxMs: Int64, seriesLimit: Int) throws(StoreError) -> [Series] {
        guard minMs <= maxMs else { return [] }
        var (refs, residual) = try matchingRefs(matchers)
        var result: [Series] = []
        var gathered = StoreState.Gathered()
        var index = 0
        while index < refs.count {
            let end = min(refs.count, index + Self.lockSlice)
            // Phase C: chunk references, a slice of series per lock acquisition.
            state.read { $0.gather(refs[index..<end], minMs: minMs, maxMs: maxMs, into: &gathered) }
            index = end
            // Phase D, outside the lock: per-candidate matchers, the limit, decoding (chunks are
            // immutable values; a head chunk was copied).
            for entry in gathered.series {
                if !residual.isEmpty, try !residual.accepts(entry.labels) { continue }
                guard result.count < seriesLimit else {
                    selectsRefused.add(1, ordering: .relaxed)
                    throw .querySeriesLimit(limit: seriesLimit, matchers: matchers)
                }
                var samples: [Sample] = []
                var capacity = 0
                for i in entry.chunks { capacity += gathered.chunks[i].count }
                samples.reserveCapacity(capacity)
                for i in entry.chunks { gathered.chunks[i].decode(minT: minMs, maxT: maxMs, into: &samples) }
                if !samples.isEmpty { result.append(Series(labels: entry.labels, samples: samples)) }
            }
            gathered.removeAll()
        }
        return result
    }

    /// Phases A and B of a select: the refs of the series matching every matcher (ascending) and
    /// the matchers left to test on each candidate's labels. Only phase A holds the lock.
    private func matchingRefs(_ matchers: [LabelMatcher]) throws(StoreError) -> ([SeriesRef], ResidualFilter) {
        selects.add(1, ordering: .relaxed)
        let plan = state.read { $0.plan(matchers) }
        guard let plan else { return ([], ResidualFilter()) }
        return try plan.evaluate()
    }

    /// The label sets of every series matching all `matchers` (whatever their samples' times).
    /// Empty when a query time limit (`QueryDeadline`) runs out.
    public func series(matching matchers: [LabelMatcher]) -> [Labels] {
        guard var (refs, residual) = try? matchingRefs(matchers) else { return [] }
        var out: [Labels] = []
        var index = 0
        while index < refs.count {
            let end = min(refs.count, index + Self.lockSlice)
            let slice = state.read { s in refs[index..<end].compactMap { s.series[$0]?.labels } }
            if residual.isEmpty {
                out.append(contentsOf: slice)
            } else {
                for labels in slice where (try? residual.accepts(labels)) == true { out.append(labels) }
            }
            index = end
        }
        return out
    }

    /// Every label name in use, sorted.
    public func labelNames() -> [String] {
        state.read { s in s.postings.byName.keys.map { s.symbols.string($0) } }.sorted()
    }

    /// Every value the label `name` has, sorted.
    public func labelValues(_ name: String) -> [String] {
        state.read { s -> [String] in
            guard let id = s.symbols.id(name), let postings = s.postings.byName[id] else { return [] }
            return postings.byValue.keys.map { s.symbols.string($0) }
        }.sorted()
    }

    // MARK: - Retention

    /// Drops every whole chunk whose newest sample is before `beforeMs`, removes the series left
    /// empty (from the index and the symbol table too), and from then on refuses samples older than
    /// `beforeMs` (`tooOld`). Works through the series a slice at a time so appends and selects
    /// interleave. Events are not touched (see `enforceRetention`).
    @discardableResult
    public func truncate(beforeMs: Int64) -> TruncateSummary {
        let refs = state.write { s -> [SeriesRef] in
            s.minValidT = max(s.minValidT, beforeMs)
            return s.postings.all
        }
        var summary = TruncateSummary()
        var index = 0
        while index < refs.count {
            let end = min(refs.count, index + 4096)
            state.write { s in s.truncate(refs[index..<end], before: beforeMs, into: &summary) }
            index = end
        }
        return summary
    }

    /// Applies the retention (`options.retentionMs`) at `nowMs` (default: the clock): chunks and
    /// events older than `now - retention` go.
    @discardableResult
    public func enforceRetention(nowMs: Int64? = nil) -> TruncateSummary {
        let now = nowMs ?? clock.nowMs()
        let (cutoff, overflow) = now.subtractingReportingOverflow(options.retentionMs)
        let beforeMs = overflow ? Int64.min : cutoff
        var summary = truncate(beforeMs: beforeMs)
        summary.eventsDropped = timeline.write { $0.truncate(beforeMs: beforeMs) }
        return summary
    }

    // MARK: - Events

    /// Adds an event to the timeline (bounded: the oldest is dropped when it is full).
    public func appendEvent(_ event: Event) {
        timeline.write { $0.append(event) }
    }

    /// Events in `fromMs...toMs` whose labels satisfy every matcher (and of the given kinds), ascending.
    public func events(fromMs: Int64, toMs: Int64, matching matchers: [LabelMatcher] = [], kinds: Set<EventKind>? = nil) -> [Event] {
        timeline.read { $0.query(fromMs: fromMs, toMs: toMs, matching: matchers, kinds: kinds) }
    }

    // MARK: - Statistics

    public var stats: StoreStats {
        var stats = state.read { s in
            var stats = s.stats
            stats.series = s.series.count
            stats.symbols = s.symbols.count
            stats.memoryEstimateBytes = s.memoryEstimate
            return stats
        }
        stats.selects = selects.load(ordering: .relaxed)
        stats.selectsRefused = selectsRefused.load(ordering: .relaxed)
        timeline.read { t in
            stats.events = t.count
            stats.eventsDropped = t.dropped
        }
        return stats
    }

    // MARK: - Internals

    /// Drops empty-valued labels; refuses an empty set and labels over the limits.
    private func normalize(_ labels: Labels, count: Bool = true) throws(StoreError) -> Labels {
        var result = labels
        if labels.pairs.contains(where: { $0.value.isEmpty }) {
            result = Labels(labels.pairs.filter { !$0.value.isEmpty })
        }
        var problem: String? = nil
        if result.isEmpty {
            problem = "no labels with a value"
        } else if result.count > options.maxLabelsPerSeries {
            problem = "\(result.count) labels, more than the limit of \(options.maxLabelsPerSeries)"
        } else {
            for pair in result.pairs {
                if pair.name.isEmpty {
                    problem = "a label has an empty name"
                } else if pair.name.utf8.count > options.maxLabelNameBytes {
                    problem = "label name \"\(pair.name.prefix(64))…\" is longer than \(options.maxLabelNameBytes) bytes"
                } else if pair.value.utf8.count > options.maxLabelValueBytes {
                    problem = "value of label \"\(pair.name)\" is longer than \(options.maxLabelValueBytes) bytes"
                }
                if problem != nil { break }
            }
        }
        guard let problem else { return result }
        let error = StoreError.invalidLabels(series: result, reason: problem)
        if count { state.write { _ = $0.countRejected(error) } }
        throw error
    }

    /// Test hook: sizes of the index structures, to check that retention gives memory back.
    func indexSizes() -> (series: Int, seriesCapacity: Int, hashEntries: Int, postingsEntries: Int, postingsLists: Int, symbols: Int, symbolSlots: Int) {
        state.read { s in
            var entries = s.postings.all.count
            var lists = 1
            for (_, name) in s.postings.byName {
                entries += name.all.count
                lists += 1 + name.byValue.count
                for (_, list) in name.byValue { entries += list.count }
            }
            return (s.series.count, s.series.capacity, s.byHash.count + s.collisions.count, entries, lists, s.symbols.count, s.symbols.strings.count)
        }
    }

    /// Test hook: forces how non-equality matchers are evaluated.
    func setMatcherStrategy(_ strategy: MatcherStrategy) {
        state.write { $0.strategy = strategy }
    }
}
