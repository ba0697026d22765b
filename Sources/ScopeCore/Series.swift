/// One sample of the Prometheus data model.
public struct Sample: Sendable, Equatable {
    /// Milliseconds since the Unix epoch.
    public var timestampMs: Int64
    public var value: Double

    public init(timestampMs: Int64, value: Double) {
        self.timestampMs = timestampMs
        self.value = value
    }

    public static func == (a: Sample, b: Sample) -> Bool {
        // Bit-equal values, so NaN equals NaN and a staleness marker only equals a staleness marker.
        a.timestampMs == b.timestampMs && a.value.bitPattern == b.value.bitPattern
    }
}

/// A series: its labels (`__name__` included) and samples in ascending time.
public struct Series: Sendable, Equatable {
    public var labels: Labels
    public var samples: [Sample]

    public init(labels: Labels, samples: [Sample]) {
        self.labels = labels
        self.samples = samples
    }
}

extension Double {
    /// Prometheus's staleness marker: a NaN with this exact bit pattern (`value.StaleNaN`),
    /// written when a series disappears from its target. Ordinary NaN samples are not stale.
    public static let staleNaNBits: UInt64 = 0x7FF0_0000_0000_0002

    public static var staleMarker: Double { Double(bitPattern: staleNaNBits) }

    public var isStaleMarker: Bool { bitPattern == Double.staleNaNBits }
}

/// The read side of any series store: what the PromQL engine evaluates against.
public protocol Queryable: Sendable {
    /// Every series whose labels satisfy all `matchers`, with its samples in `minMs...maxMs`
    /// (staleness markers included; the engine interprets them). Series with no sample in the
    /// range may be left out.
    func select(_ matchers: [LabelMatcher], minMs: Int64, maxMs: Int64) throws -> [Series]
}
