import ScopeCore
import SwiftProtobuf

// The OTLP → Prometheus mapping (see OTLPToPrometheus) read straight off the protobuf wire
// format. Messages are walked in two steps where the wire order could put a field after the
// fields that need it (a Sum's temporality is field 2, after its points; a resource may follow
// its scope metrics): first the scalars, then the nested parts.

extension OTLPToPrometheus {
    /// Maps a binary ExportMetricsServiceRequest. Throws (nothing mapped) when the bytes are
    /// not a valid message. With `commit: false` the delta totals it changed stay pending until
    /// `commitPending()` (the request was accepted) or `discardPending()` (it was refused after
    /// mapping, e.g. over a budget), so a refused request leaves no trace.
    public mutating func convert(protobuf bytes: [UInt8], receivedAtMs: Int64, commit: Bool = true) throws(OTLPDecodeError) -> OTLPConversion {
        var builder = FamilyBuilder()
        var result = OTLPConversion()
        // A request maps whole or is refused whole: delta sums found while mapping are pending
        // until the end, so a 400 leaves no trace in the running totals.
        pendingDeltas.removeAll(keepingCapacity: true)
        // (A Result rather than a typed-throws closure: the compiler's IRGen crashes on one here.)
        let outcome: Result<Void, OTLPDecodeError> = bytes.withUnsafeBytes { raw in
            do throws(OTLPDecodeError) {
                try WireReader.fields(raw, 0..<raw.count) { tag, reader throws(OTLPDecodeError) in
                    guard tag.field == 1, tag.wireType == .lengthDelimited else { return false }
                    try resourceMetrics(raw, try reader.lengthDelimited(), receivedAtMs, &builder, &result)
                    return true
                }
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        if case .failure(let error) = outcome {
            pendingDeltas.removeAll()
            newPendingStreams = 0
            throw error
        }
        if commit { commitPending() }
        result.families = builder.families.filter { !$0.points.isEmpty }
        return result
    }

    /// The delta totals of the last mapped request become the running totals.
    public mutating func commitPending() {
        deltaStreams.merge(pendingDeltas) { _, new in new }
        pendingDeltas.removeAll(keepingCapacity: true)
        newPendingStreams = 0
    }

    /// The last mapped request was refused: its delta totals are forgotten.
    public mutating func discardPending() {
        pendingDeltas.removeAll(keepingCapacity: true)
        newPendingStreams = 0
    }

    private mutating func resourceMetrics(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>, _ now: Int64,
                                          _ builder: inout FamilyBuilder, _ result: inout OTLPConversion) throws(OTLPDecodeError) {
        var resource = ResourceAttributes()
        try WireReader.fields(raw, range) { tag, reader throws(OTLPDecodeError) in
            guard tag.field == 1, tag.wireType == .lengthDelimited else { return false }
            try resource.read(raw, try reader.lengthDelimited())
            return true
        }
        let (base, targetInfo) = resource.labels()
        if let targetInfo {
            builder.add(name: "target_info", type: .gauge, help: "Target metadata",
                        point: MetricPoint(name: "target_info", labels: targetInfo, value: 1, timestampMs: now))
        }
        try WireReader.fields(raw, range) { tag, reader throws(OTLPDecodeError) in
            guard tag.field == 2, tag.wireType == .lengthDelimited else { return false }
            try scopeMetrics(raw, try reader.lengthDelimited(), base, now, &builder, &result)
            return true
        }
    }

    private mutating func scopeMetrics(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>, _ resourceBase: [Label], _ now: Int64,
                                       _ builder: inout FamilyBuilder, _ result: inout OTLPConversion) throws(OTLPDecodeError) {
        var scopeName = "", scopeVersion = ""
        try WireReader.fields(raw, range) { tag, reader throws(OTLPDecodeError) in
            guard tag.field == 1, tag.wireType == .lengthDelimited else { return false }
            try WireReader.fields(raw, try reader.lengthDelimited()) { tag, reader throws(OTLPDecodeError) in
                guard tag.wireType == .lengthDelimited, tag.field == 1 || tag.field == 2 else { return false }
                let text = try reader.string(try reader.lengthDelimited())
                if tag.field == 1 { scopeName = text } else { scopeVersion = text }
                return true
            }
            return true
        }
        var base = resourceBase
        if !scopeName.isEmpty { base.append(Label("otel_scope_name", scopeName)) }
        if !scopeVersion.isEmpty { base.append(Label("otel_scope_version", scopeVersion)) }
        base.sort { $0.name < $1.name }
        let context = PointContext(base: base, baseID: labelCache.id(of: base), now: now)
        try WireReader.fields(raw, range) { tag, reader throws(OTLPDecodeError) in
            guard tag.field == 2, tag.wireType == .lengthDelimited else { return false }
            try metric(raw, try reader.lengthDelimited(), context, &builder, &result)
            return true
        }
    }

    private mutating func metric(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>, _ context: PointContext,
                                 _ builder: inout FamilyBuilder, _ result: inout OTLPConversion) throws(OTLPDecodeError) {
        var name = "", description = "", unit = ""
        var data: (field: UInt64, range: Range<Int>)?
        try WireReader.fields(raw, range) { tag, reader throws(OTLPDecodeError) in
            guard tag.wireType == .lengthDelimited else { return false }
            switch tag.field {
            case 1: name = try reader.string(try reader.lengthDelimited())
            case 2: description = try reader.string(try reader.lengthDelimited())
            case 3: unit = try reader.string(try reader.lengthDelimited())
            case 5, 7, 9, 10, 11: data = (tag.field, try reader.lengthDelimited())  // oneof: the last one wins
            default: return false
            }
            return true
        }
        guard let data else {
            result.reject("no_data", 1, metric: name, detail: "the metric has no data")
            return
        }
        // Scalars of the data message (temporality 2, monotonic 3) and its point count.
        var temporality: UInt64 = 0, monotonic = false, points = 0
        try WireReader.fields(raw, data.range) { tag, reader throws(OTLPDecodeError) in
            switch (tag.field, tag.wireType) {
            case (1, .lengthDelimited): points += 1; return false
            case (2, .varint) where data.field != 5 && data.field != 11: temporality = try reader.varint()
            case (3, .varint) where data.field == 7: monotonic = try reader.varint() != 0
            default: return false
            }
            return true
        }
        var context = context
        switch data.field {
        case 5:
            context.family = PrometheusNaming.metricName(name, unit: unit, isGauge: true, isCounter: false)
            context.familyIndex = builder.family(context.family, type: .gauge, help: description)
            try eachPoint(raw, data.range) { reader, range throws(OTLPDecodeError) in
                try numberPoint(raw, range, context, delta: false, metricName: name, &builder, &result)
            }
        case 7:
            guard temporality == 1 || temporality == 2 else {
                result.reject("unspecified_temporality", points, metric: name, detail: "a sum without aggregation temporality cannot be mapped")
                return
            }
            context.family = PrometheusNaming.metricName(name, unit: unit, isGauge: !monotonic, isCounter: monotonic)
            context.familyIndex = builder.family(context.family, type: monotonic ? .counter : .gauge, help: description)
            try eachPoint(raw, data.range) { reader, range throws(OTLPDecodeError) in
                try numberPoint(raw, range, context, delta: temporality == 1, metricName: name, &builder, &result)
            }
        case 9, 10:
            // 10, an exponential histogram, becomes classic buckets too (ExponentialBuckets).
            guard temporality == 1 || temporality == 2 else {
                result.reject("unspecified_temporality", points, metric: name, detail: "a histogram without aggregation temporality cannot be mapped")
                return
            }
            context.family = PrometheusNaming.metricName(name, unit: unit, isGauge: false, isCounter: false)
            context.familyIndex = builder.family(context.family, type: .histogram, help: description)
            let exponential = data.field == 10
            try eachPoint(raw, data.range) { reader, range throws(OTLPDecodeError) in
                if exponential {
                    try exponentialPoint(raw, range, context, delta: temporality == 1, metricName: name, &builder, &result)
                } else {
                    try histogramPoint(raw, range, context, delta: temporality == 1, metricName: name, &builder, &result)
                }
            }
        default:  // 11
            context.family = PrometheusNaming.metricName(name, unit: unit, isGauge: false, isCounter: false)
            context.familyIndex = builder.family(context.family, type: .summary, help: description)
            try eachPoint(raw, data.range) { reader, range throws(OTLPDecodeError) in
                try summaryPoint(raw, range, context, &builder)
                result.acceptedPoints += 1
            }
        }
    }

    private func eachPoint(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>,
                           _ body: (inout WireReader, Range<Int>) throws(OTLPDecodeError) -> Void) throws(OTLPDecodeError) {
        try WireReader.fields(raw, range) { tag, reader throws(OTLPDecodeError) in
            guard tag.field == 1, tag.wireType == .lengthDelimited else { return false }
            let point = try reader.lengthDelimited()
            try body(&reader, point)
            return true
        }
    }

    private mutating func numberPoint(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>, _ context: PointContext, delta: Bool,
                                      metricName: String, _ builder: inout FamilyBuilder, _ result: inout OTLPConversion) throws(OTLPDecodeError) {
        var time: UInt64 = 0, flags: UInt64 = 0
        var value: Double?
        try WireReader.fields(raw, range) { tag, reader throws(OTLPDecodeError) in
            switch (tag.field, tag.wireType) {
            case (3, .fixed64): time = try reader.fixed64()
            case (4, .fixed64): value = try reader.double()
            case (6, .fixed64): value = Double(Int64(bitPattern: try reader.fixed64()))
            case (8, .varint): flags = try reader.varint()
            default: return false
            }
            return true
        }
        let stale = flags & 1 == 1
        guard var number = value ?? (stale ? 0 : nil) else {
            result.reject("no_value", 1, metric: metricName, detail: "a \(context.familyType(builder)) point has no value")
            return
        }
        let (labels, stream) = try pointLabels(raw, range, attributeField: 7, context)
        if delta && !stale {
            guard let total = accumulate(StreamKey(name: context.family, labels: labels), delta: number) else {
                result.reject("delta_stream_limit", 1, metric: metricName, detail: "more than \(maxDeltaStreams) delta streams; new ones are dropped")
                return
            }
            number = total
        }
        builder.families[context.familyIndex].points.append(
            MetricPoint(name: context.family, labels: labels, value: stale ? .staleMarker : number, timestampMs: time.milliseconds(or: context.now),
                        streamID: streamID(stream, 0)))
        result.acceptedPoints += 1
    }

    private mutating func histogramPoint(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>, _ context: PointContext, delta: Bool,
                                         metricName: String, _ builder: inout FamilyBuilder, _ result: inout OTLPConversion) throws(OTLPDecodeError) {
        var time: UInt64 = 0, flags: UInt64 = 0, count: UInt64 = 0
        var sum: Double?
        var counts: [UInt64] = []
        var boundBits: [UInt64] = []
        try WireReader.fields(raw, range) { tag, reader throws(OTLPDecodeError) in
            switch (tag.field, tag.wireType) {
            case (3, .fixed64): time = try reader.fixed64()
            case (4, .fixed64): count = try reader.fixed64()
            case (5, .fixed64): sum = try reader.double()
            // Another wire type on a known number is an unknown field, as protobuf's parsers treat it.
            case (6, .fixed64), (6, .lengthDelimited): try reader.repeatedFixed64(tag, into: &counts)
            case (7, .fixed64), (7, .lengthDelimited): try reader.repeatedFixed64(tag, into: &boundBits)
            case (10, .varint): flags = try reader.varint()
            default: return false
            }
            return true
        }
        let bounds = boundBits.map { Double(bitPattern: $0) }
        guard counts.isEmpty || counts.count == bounds.count + 1 else {
            result.reject("invalid_histogram", 1, metric: metricName,
                          detail: "\(counts.count) bucket counts for \(bounds.count) bounds (want bounds + 1)")
            return
        }
        let (labels, stream) = try pointLabels(raw, range, attributeField: 9, context)
        try emitHistogram(labels: labels, stream: stream, bounds: bounds, counts: counts, count: count, sum: sum, time: time,
                          stale: flags & 1 == 1, delta: delta, context, metricName: metricName, &builder, &result)
    }

    /// An exponential histogram point: its buckets as classic ones, then as any histogram point.
    private mutating func exponentialPoint(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>, _ context: PointContext, delta: Bool,
                                           metricName: String, _ builder: inout FamilyBuilder, _ result: inout OTLPConversion) throws(OTLPDecodeError) {
        var time: UInt64 = 0, flags: UInt64 = 0, count: UInt64 = 0, zeroCount: UInt64 = 0
        var sum: Double?
        var scale: Int32 = 0
        var zeroThreshold = 0.0
        var positive = ExponentialBuckets.Side(offset: 0, counts: []), negative = ExponentialBuckets.Side(offset: 0, counts: [])
        func buckets(_ range: Range<Int>) throws(OTLPDecodeError) -> ExponentialBuckets.Side {
            var side = ExponentialBuckets.Side(offset: 0, counts: [])
            try WireReader.fields(raw, range) { tag, reader throws(OTLPDecodeError) in
                switch (tag.field, tag.wireType) {
                case (1, .varint): side.offset = try reader.sint32()
                case (2, .varint), (2, .lengthDelimited): try reader.repeatedVarint(tag, into: &side.counts)
                default: return false
                }
                return true
            }
            return side
        }
        try WireReader.fields(raw, range) { tag, reader throws(OTLPDecodeError) in
            switch (tag.field, tag.wireType) {
            case (3, .fixed64): time = try reader.fixed64()
            case (4, .fixed64): count = try reader.fixed64()
            case (5, .fixed64): sum = try reader.double()
            case (6, .varint): scale = try reader.sint32()
            case (7, .fixed64): zeroCount = try reader.fixed64()
            case (8, .lengthDelimited): positive = try buckets(try reader.lengthDelimited())
            case (9, .lengthDelimited): negative = try buckets(try reader.lengthDelimited())
            case (10, .varint): flags = try reader.varint()
            case (14, .fixed64): zeroThreshold = try reader.double()
            default: return false
            }
            return true
        }
        var histogram = ExponentialBuckets.Histogram(scale: scale, count: count, sum: sum, zeroCount: zeroCount, zeroThreshold: zeroThreshold,
                                                     positive: positive, negative: negative)
        guard positive.counts.count + negative.counts.count <= 1 << 16, (-10...20).contains(scale) else {
            result.reject("invalid_histogram", 1, metric: metricName, detail: "scale \(scale) or bucket counts out of OTLP's range")
            return
        }
        let (labels, stream) = try pointLabels(raw, range, attributeField: 1, context)
        let stale = flags & 1 == 1
        let key = StreamKey(name: context.family, labels: labels)
        var previous: ExponentialBuckets.Layout?
        if delta && !stale {
            guard let accumulated = accumulate(key, exponential: histogram) else {
                result.reject("delta_stream_limit", 1, metric: metricName, detail: "more than \(maxDeltaStreams) delta streams; new ones are dropped")
                return
            }
            (histogram, previous) = accumulated
        }
        guard let classic = histogram.classic() else {
            result.reject("invalid_histogram", 1, metric: metricName, detail: "scale \(histogram.scale) out of OTLP's range")
            return
        }
        if !delta && !stale { previous = replaceLayout(key, with: classic.layout) }
        // OpenMetrics: a histogram with negative buckets has no _sum (it would not be a counter).
        let hasNegative = !classic.layout.negative.isEmpty
        try emitHistogram(labels: labels, stream: stream, bounds: classic.bounds, counts: classic.counts, count: histogram.count,
                          sum: hasNegative ? nil : histogram.sum, time: time, stale: stale, delta: false, context, metricName: metricName,
                          &builder, &result)
        // The scale changed (an SDK lowers it as the values' range grows): the buckets the new
        // layout no longer has would otherwise keep their old counts beside the new ones.
        if let previous, previous != classic.layout {
            let ts = time.milliseconds(or: context.now)
            let kept = Set(classic.bounds.map(formatBound))
            var gone = previous.bounds.map(formatBound).filter { !kept.contains($0) }.map {
                MetricPoint(name: context.family + "_bucket", labels: labels.setting("le", $0), value: .staleMarker, timestampMs: ts)
            }
            if previous.negative.isEmpty && hasNegative && histogram.sum != nil {
                gone.append(MetricPoint(name: context.family + "_sum", labels: labels, value: .staleMarker, timestampMs: ts))
            }
            builder.families[context.familyIndex].points += gone
        }
    }

    /// A histogram's series (`_bucket{le}` cumulative, `_count`, `_sum`) from per-bucket counts,
    /// delta points accumulated per stream first.
    private mutating func emitHistogram(labels: Labels, stream: Int?, bounds: [Double], counts: [UInt64], count: UInt64, sum: Double?,
                                        time: UInt64, stale: Bool, delta: Bool, _ context: PointContext, metricName: String,
                                        _ builder: inout FamilyBuilder, _ result: inout OTLPConversion) throws(OTLPDecodeError) {
        var counts = counts, count = count, sum = sum
        if delta && !stale {
            guard let total = accumulate(StreamKey(name: context.family, labels: labels), bounds: bounds, counts: counts, sum: sum ?? 0, count: count) else {
                result.reject("delta_stream_limit", 1, metric: metricName, detail: "more than \(maxDeltaStreams) delta streams; new ones are dropped")
                return
            }
            (counts, count) = (total.counts, total.count)
            if sum != nil { sum = total.sum }
        }
        let ts = time.milliseconds(or: context.now)
        let name = context.family
        var points: [MetricPoint] = []
        points.reserveCapacity(bounds.count + 3)
        var cumulative: UInt64 = 0
        for (i, bound) in bounds.enumerated() where i < counts.count {
            cumulative &+= counts[i]
            points.append(MetricPoint(name: name + "_bucket", labels: labels.setting("le", formatBound(bound)), value: Double(cumulative),
                                      timestampMs: ts, streamID: streamID(stream, i + 1)))
        }
        points.append(MetricPoint(name: name + "_bucket", labels: labels.setting("le", "+Inf"), value: Double(count), timestampMs: ts,
                                  streamID: streamID(stream, Self.lastVariant)))
        points.append(MetricPoint(name: name + "_count", labels: labels, value: Double(count), timestampMs: ts, streamID: streamID(stream, 0)))
        if let sum { points.append(MetricPoint(name: name + "_sum", labels: labels, value: sum, timestampMs: ts, streamID: streamID(stream, 0))) }
        if stale { for i in points.indices { points[i].value = .staleMarker } }
        builder.families[context.familyIndex].points += points
        result.acceptedPoints += 1
    }

    private mutating func summaryPoint(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>, _ context: PointContext,
                              _ builder: inout FamilyBuilder) throws(OTLPDecodeError) {
        var time: UInt64 = 0, flags: UInt64 = 0, count: UInt64 = 0, sum = 0.0
        var quantiles: [(Double, Double)] = []
        try WireReader.fields(raw, range) { tag, reader throws(OTLPDecodeError) in
            switch (tag.field, tag.wireType) {
            case (3, .fixed64): time = try reader.fixed64()
            case (4, .fixed64): count = try reader.fixed64()
            case (5, .fixed64): sum = try reader.double()
            case (8, .varint): flags = try reader.varint()
            case (6, .lengthDelimited):
                var q = 0.0, v = 0.0
                try WireReader.fields(raw, try reader.lengthDelimited()) { tag, reader throws(OTLPDecodeError) in
                    switch (tag.field, tag.wireType) {
                    case (1, .fixed64): q = try reader.double()
                    case (2, .fixed64): v = try reader.double()
                    default: return false
                    }
                    return true
                }
                quantiles.append((q, v))
            default: return false
            }
            return true
        }
        let (labels, stream) = try pointLabels(raw, range, attributeField: 7, context)
        let ts = time.milliseconds(or: context.now)
        let name = context.family
        var points = quantiles.enumerated().map { i, q in
            MetricPoint(name: name, labels: labels.setting("quantile", formatBound(q.0)), value: q.1, timestampMs: ts,
                        streamID: streamID(stream, i + 1))
        }
        points.append(MetricPoint(name: name + "_sum", labels: labels, value: sum, timestampMs: ts, streamID: streamID(stream, 0)))
        points.append(MetricPoint(name: name + "_count", labels: labels, value: Double(count), timestampMs: ts, streamID: streamID(stream, 0)))
        if flags & 1 == 1 { for i in points.indices { points[i].value = .staleMarker } }
        builder.families[context.familyIndex].points += points
    }

    /// The point's attributes as labels, merged with the resource's and scope's (which win on a
    /// clash). Attribute keys that sanitize to the same label join their values with `;` in key
    /// order (the specification's rule).
    static let lastVariant = 511

    /// A series id from a cached stream: variant 0 is the stream's own labels, 1…510 its
    /// buckets or quantiles by position, 511 `+Inf`; none past 510 positions. An id is a hint
    /// for sinks, which must check the labels on use: after a bucket layout change the same
    /// position is a different series.
    private func streamID(_ stream: Int?, _ variant: Int) -> Int? {
        guard let stream, variant <= Self.lastVariant else { return nil }
        return stream << 9 | variant
    }

    /// The point's labels and, when they are cached, the id of its stream (see `streamID`).
    private mutating func pointLabels(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>, attributeField: UInt64,
                                      _ context: PointContext) throws(OTLPDecodeError) -> (labels: Labels, stream: Int?) {
        // The attributes' bytes, when they are one run (as every encoder writes them): points of
        // the same stream repeat them byte for byte in every export, so their labels are cached.
        var first = -1, last = -1, contiguous = true
        try WireReader.fields(raw, range) { tag, reader throws(OTLPDecodeError) in
            let start = reader.position - WireReader.tagSize(tag)
            if tag.field == attributeField && tag.wireType == .lengthDelimited {
                if first < 0 { first = start } else if start != last { contiguous = false }
                _ = try reader.lengthDelimited()
                last = reader.position
                return true
            }
            return false
        }
        guard first >= 0 else { return (Labels(presorted: context.base), nil) }
        guard contiguous else { return (try parseLabels(raw, range, attributeField: attributeField, context), nil) }
        let run = UnsafeRawBufferPointer(rebasing: raw[first..<last])
        if let cached = labelCache.lookup(context.baseID, run) { return (cached.labels, cached.id) }
        let labels = try parseLabels(raw, range, attributeField: attributeField, context)
        return (labels, labelCache.insert(context.baseID, run, labels))
    }

    private func parseLabels(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>, attributeField: UInt64,
                             _ context: PointContext) throws(OTLPDecodeError) -> Labels {
        var pairs: [Label] = []
        try WireReader.fields(raw, range) { tag, reader throws(OTLPDecodeError) in
            guard tag.field == attributeField, tag.wireType == .lengthDelimited else { return false }
            if let attribute = try keyValue(raw, try reader.lengthDelimited()) {
                if pairs.isEmpty { pairs.reserveCapacity(context.base.count + 8) }
                pairs.append(attribute.label)
            }
            return true
        }
        if pairs.isEmpty { return Labels(presorted: context.base) }
        // Insertion sort: a point has a handful of attributes, often already in order.
        for i in 1..<max(1, pairs.count) {
            var j = i
            while j > 0 && pairs[j].name < pairs[j - 1].name {
                pairs.swapAt(j, j - 1)
                j -= 1
            }
        }
        for i in pairs.indices.dropFirst() where pairs[i].name == pairs[i - 1].name {
            pairs = try joinClashes(raw, range, attributeField: attributeField)
            break
        }
        guard !context.base.isEmpty else { return Labels(presorted: pairs) }
        // Merge two sorted lists; the resource's and scope's labels win over attributes.
        var merged: [Label] = []
        merged.reserveCapacity(pairs.count + context.base.count)
        var a = 0, b = 0
        let base = context.base
        while a < pairs.count || b < base.count {
            if b == base.count || (a < pairs.count && pairs[a].name < base[b].name) {
                merged.append(pairs[a])
                a += 1
            } else {
                if a < pairs.count && pairs[a].name == base[b].name { a += 1 }
                merged.append(base[b])
                b += 1
            }
        }
        return Labels(presorted: merged)
    }

    /// Attribute keys that sanitize to one label name: their values joined with `;` in key order.
    private func joinClashes(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>, attributeField: UInt64) throws(OTLPDecodeError) -> [Label] {
        var attributes: [(key: String, label: Label)] = []
        try WireReader.fields(raw, range) { tag, reader throws(OTLPDecodeError) in
            guard tag.field == attributeField, tag.wireType == .lengthDelimited else { return false }
            if let attribute = try keyValue(raw, try reader.lengthDelimited()) { attributes.append(attribute) }
            return true
        }
        return joinClashes(attributes)
    }

    private func joinClashes(_ attributes: [(key: String, label: Label)]) -> [Label] {
        var joined: [String: [String]] = [:]
        for attribute in attributes.sorted(by: { $0.key < $1.key }) {
            joined[attribute.label.name, default: []].append(attribute.label.value)
        }
        return joined.keys.sorted().map { Label($0, joined[$0]!.joined(separator: ";")) }
    }
}

/// What every point of one metric shares.
struct PointContext {
    var base: [Label]
    /// The label cache's number for `base` (cached label sets are per base).
    var baseID: Int
    var now: Int64
    var family = ""
    var familyIndex = 0

    func familyType(_ builder: FamilyBuilder) -> String {
        builder.families[familyIndex].type == .gauge ? "gauge" : "sum"
    }
}

/// A KeyValue as (original key, label); nil for an empty key (no label can have an empty name).
func keyValue(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>) throws(OTLPDecodeError) -> (key: String, label: Label)? {
    var key = ""
    var value = ""
    try WireReader.fields(raw, range) { tag, reader throws(OTLPDecodeError) in
        guard tag.wireType == .lengthDelimited, tag.field == 1 || tag.field == 2 else { return false }
        let payload = try reader.lengthDelimited()
        if tag.field == 1 { key = try reader.string(payload) } else { value = try anyValue(raw, payload) }
        return true
    }
    let name = PrometheusNaming.labelName(key)
    return name.isEmpty ? nil : (key, Label(name, value))
}

/// An AnyValue as a label value: strings directly (the common case); the rest as
/// `OTLPAnyValue.labelValue` renders them.
func anyValue(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>) throws(OTLPDecodeError) -> String {
    var value = ""
    var complex = false
    try WireReader.fields(raw, range) { tag, reader throws(OTLPDecodeError) in
        switch (tag.field, tag.wireType) {
        case (1, .lengthDelimited): value = try reader.string(try reader.lengthDelimited()); complex = false
        case (8, .varint): _ = try reader.varint(); value = ""; complex = false
        default: complex = true; return false
        }
        return true
    }
    guard complex else { return value }
    do {
        return try OTLPAnyValue(serializedBytes: Array(UnsafeRawBufferPointer(rebasing: raw[range]))).labelValue
    } catch {
        throw WireReader.malformed("an attribute value is malformed")
    }
}

/// The resource's `job`/`instance` labels and `target_info` labels.
struct ResourceAttributes {
    var serviceName: String?
    var serviceNamespace: String?
    var instance: String?
    var others: [(key: String, label: Label)] = []

    mutating func read(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>) throws(OTLPDecodeError) {
        try WireReader.fields(raw, range) { tag, reader throws(OTLPDecodeError) in
            guard tag.field == 1, tag.wireType == .lengthDelimited else { return false }
            guard let attribute = try keyValue(raw, try reader.lengthDelimited()) else { return true }
            switch attribute.key {
            case "service.name": serviceName = attribute.label.value
            case "service.namespace": serviceNamespace = attribute.label.value
            case "service.instance.id": instance = attribute.label.value
            default: others.append(attribute)
            }
            return true
        }
    }

    func labels() -> (base: [Label], targetInfo: Labels?) {
        var base: [Label] = []
        if let serviceName { base.append(Label("job", serviceNamespace.map { "\($0)/\(serviceName)" } ?? serviceName)) }
        if let instance { base.append(Label("instance", instance)) }
        guard !others.isEmpty else { return (base, nil) }
        var joined: [String: [String]] = [:]
        for attribute in others.sorted(by: { $0.key < $1.key }) { joined[attribute.label.name, default: []].append(attribute.label.value) }
        let reserved = Set(base.map(\.name))
        let info = joined.keys.filter { !reserved.contains($0) }.map { Label($0, joined[$0]!.joined(separator: ";")) }
        return (base, Labels(info + base))
    }
}
