/// The series by ref. A ref is `sequence << 24 | slot`: the sequence number grows with every series
/// created (so refs sort in creation order and the postings lists stay sorted by appending), the
/// slot is the series' index in a dense array (so the append-by-ref fast path is one array load
/// and a comparison, no hashing). Slots are reused after a series is removed; the sequence part
/// never is, so an old ref can never reach the slot's new series.
struct SeriesTable {
    static let slotBits: UInt64 = 24
    static let slotMask: UInt64 = (1 << slotBits) - 1
    /// At most this many series at once (16.7M).
    static let maxSlots = 1 << 24

    private var slots: [MemSeries?] = []
    /// Free slot indices; kept sorted descending after a removal pass so the lowest is reused first
    /// and the array's tail can be given back.
    private var free: [Int] = []
    private(set) var count = 0
    private var nextSequence: UInt64 = 1

    var isEmpty: Bool { count == 0 }
    var capacity: Int { slots.capacity }

    @inline(__always)
    subscript(ref: SeriesRef) -> MemSeries? {
        let slot = Int(truncatingIfNeeded: ref.rawValue & Self.slotMask)
        guard slot < slots.count, let s = slots[slot], s.ref == ref else { return nil }
        return s
    }

    /// A fresh ref (and its slot) for a series about to be inserted.
    mutating func nextRef() -> SeriesRef {
        let slot: Int
        if let reused = free.popLast() {
            slot = reused
        } else {
            precondition(slots.count < Self.maxSlots, "series table full")
            slot = slots.count
            slots.append(nil)
        }
        let ref = SeriesRef(rawValue: nextSequence << Self.slotBits | UInt64(slot))
        nextSequence += 1
        return ref
    }

    mutating func insert(_ series: MemSeries) {
        let slot = Int(truncatingIfNeeded: series.ref.rawValue & Self.slotMask)
        precondition(slots[slot] == nil, "slot in use")
        slots[slot] = series
        count += 1
    }

    @discardableResult
    mutating func remove(_ ref: SeriesRef) -> MemSeries? {
        guard let s = self[ref] else { return nil }
        let slot = Int(truncatingIfNeeded: ref.rawValue & Self.slotMask)
        slots[slot] = nil
        free.append(slot)
        count -= 1
        return s
    }

    /// After removals: gives back the free tail of the array (and the array's storage when it is
    /// mostly unused), and orders the free list lowest-first.
    mutating func compact() {
        while let last = slots.last, last == nil { slots.removeLast() }
        if slots.isEmpty {
            slots = []
            free = []
            return
        }
        free.removeAll { $0 >= slots.count }
        free.sort(by: >)
        if slots.count * 2 < slots.capacity && slots.capacity > 1024 {
            slots = exactCopy(slots)
        }
        if free.count * 2 < free.capacity && free.capacity > 1024 {
            free = exactCopy(free)
        }
    }
}

/// A copy of `array` in storage of exactly its size (`Array(array)` would share the old buffer).
func exactCopy<T>(_ array: [T]) -> [T] {
    [T](unsafeUninitializedCapacity: array.count) { buffer, initialized in
        _ = buffer.initialize(from: array)
        initialized = array.count
    }
}
