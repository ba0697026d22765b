#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Byte-keyed string interning for metric and label names: a name seen before comes back as the
/// same String without allocating. Open addressing over an arena of the names' bytes; bounded (past
/// `maxEntries` names it stops remembering new ones and just makes Strings).
struct Interner: Sendable {
    static let maxEntries = 1 << 16

    private var slots: [Int32] = Array(repeating: -1, count: 64)
    private var hashes: [UInt64] = []
    private var starts: [Int32] = []
    private var lengths: [Int32] = []
    private var strings: [String] = []
    private var arena: [UInt8] = []

    var count: Int { strings.count }

    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for i in 0..<n {
            h = (h ^ UInt64(p[i])) &* 0x0000_0100_0000_01b3
        }
        return h ^ (h >> 29)
    }

    mutating func intern(_ p: UnsafePointer<UInt8>, _ n: Int) -> String {
        let h = Interner.hash(p, n)
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let e = Int(slots[i])
            if e < 0 { break }
            if hashes[e] == h && Int(lengths[e]) == n {
                let same = arena.withUnsafeBufferPointer { memcmp($0.baseAddress! + Int(starts[e]), p, n) == 0 }
                if same { return strings[e] }
            }
            i = (i + 1) & mask
        }
        let string = String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
        guard strings.count < Interner.maxEntries, arena.count + n < Int(Int32.max) else { return string }
        let index = Int32(strings.count)
        hashes.append(h)
        starts.append(Int32(arena.count))
        lengths.append(Int32(n))
        arena.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        strings.append(string)
        slots[i] = index
        if strings.count * 2 > slots.count { grow() }
        return string
    }

    private mutating func grow() {
        var bigger = [Int32](repeating: -1, count: slots.count * 2)
        let mask = bigger.count - 1
        for e in 0..<hashes.count {
            var i = Int(truncatingIfNeeded: hashes[e]) & mask
            while bigger[i] >= 0 { i = (i + 1) & mask }
            bigger[i] = Int32(e)
        }
        slots = bigger
    }
}
