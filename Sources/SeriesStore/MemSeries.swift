import ScopeCore

/// One series in memory: its interned labels, sealed chunks (ascending in time) and the open head
/// chunk. A reference type so the store mutates it in place; only ever touched under the store's lock.
final class MemSeries {
    let ref: SeriesRef
    /// Built from the symbol table's strings, so the characters are shared with every other series.
    let labels: Labels
    /// Flattened (name, value) symbol pairs in label-name order.
    let labelSymbols: [UInt32]
    let hash: Int
    var chunks: [XORChunk] = []
    var head: XORChunkAppender
    /// Newest sample (valid when `hasSamples`), for the out-of-order and duplicate checks.
    var lastT: Int64 = .min
    var lastBits: UInt64 = 0
    var hasSamples = false

    init(ref: SeriesRef, labels: Labels, labelSymbols: [UInt32], hash: Int) {
        self.ref = ref
        self.labels = labels
        self.labelSymbols = labelSymbols
        self.hash = hash
        self.head = XORChunkAppender()
    }

    var isEmpty: Bool { chunks.isEmpty && head.count == 0 }

    /// Samples held (sealed and head).
    var sampleCount: Int { chunks.reduce(head.count) { $0 + $1.count } }

    /// The value symbol of the label named by `name`, or nil when the series lacks it.
    @inline(__always)
    func value(forName name: UInt32) -> UInt32? {
        var i = 0
        while i < labelSymbols.count {
            if labelSymbols[i] == name { return labelSymbols[i + 1] }
            i += 2
        }
        return nil
    }
}
