/// The inverted index: for every label name the sorted refs of the series that have it, and for
/// every name=value pair the sorted refs of the series with that pair. Refs are created in
/// increasing order, so adding a series appends to each list and keeps it sorted.
struct PostingsIndex {
    struct NamePostings {
        /// Every series with this label name.
        var all: [SeriesRef] = []
        /// Value symbol → series with that value.
        var byValue: [UInt32: [SeriesRef]] = [:]
    }

    /// Every series.
    var all: [SeriesRef] = []
    /// Name symbol → postings for that name.
    var byName: [UInt32: NamePostings] = [:]

    /// `labelSymbols` is the flattened (name, value) symbol pairs of the series.
    mutating func add(_ ref: SeriesRef, labelSymbols: [UInt32]) {
        all.append(ref)
        var i = 0
        while i < labelSymbols.count {
            let name = labelSymbols[i]
            let value = labelSymbols[i + 1]
            byName[name, default: NamePostings()].all.append(ref)
            byName[name]!.byValue[value, default: []].append(ref)
            i += 2
        }
    }

    /// Removes `refs` (series being deleted, whose label pairs are `pairs`) from every list they
    /// are on; lists and names left empty are dropped.
    mutating func remove(_ refs: Set<SeriesRef>, pairs: [(name: UInt32, value: UInt32)]) {
        guard !refs.isEmpty else { return }
        all = Self.shrunk(all.filter { !refs.contains($0) })
        var names: [UInt32: Set<UInt32>] = [:]
        for pair in pairs { names[pair.name, default: []].insert(pair.value) }
        for (name, values) in names {
            guard var postings = byName.removeValue(forKey: name) else { continue }
            postings.all = Self.shrunk(postings.all.filter { !refs.contains($0) })
            for value in values {
                guard let list = postings.byValue.removeValue(forKey: value) else { continue }
                let kept = list.filter { !refs.contains($0) }
                if !kept.isEmpty { postings.byValue[value] = Self.shrunk(kept) }
            }
            if !postings.all.isEmpty {
                if postings.byValue.count * 4 < postings.byValue.capacity && postings.byValue.capacity > 64 {
                    postings.byValue = Dictionary(uniqueKeysWithValues: postings.byValue.map { ($0.key, $0.value) })
                }
                byName[name] = postings
            }
        }
        if byName.count * 4 < byName.capacity && byName.capacity > 64 {
            byName = Dictionary(uniqueKeysWithValues: byName.map { ($0.key, $0.value) })
        }
    }

    private static func shrunk(_ list: [SeriesRef]) -> [SeriesRef] {
        list.capacity > 2 * list.count + 16 ? exactCopy(list) : list
    }
}

// MARK: - Sorted-list algebra

/// `a ∩ b` of two ascending lists. Gallops (binary search) through the longer one when the lengths
/// differ a lot, so intersecting a short list with a huge one costs little.
func intersect(_ a: [SeriesRef], _ b: [SeriesRef]) -> [SeriesRef] {
    let (small, large) = a.count <= b.count ? (a, b) : (b, a)
    guard !small.isEmpty else { return [] }
    var out: [SeriesRef] = []
    out.reserveCapacity(small.count)
    if small.count * 16 < large.count {
        var low = 0
        for ref in small {
            var high = large.count
            while low < high {
                let mid = (low + high) / 2
                if large[mid] < ref { low = mid + 1 } else { high = mid }
            }
            if low == large.count { break }
            if large[low] == ref { out.append(ref) }
        }
        return out
    }
    var i = 0
    var j = 0
    while i < small.count && j < large.count {
        let x = small[i]
        let y = large[j]
        if x == y {
            out.append(x)
            i += 1
            j += 1
        } else if x < y {
            i += 1
        } else {
            j += 1
        }
    }
    return out
}

/// `a − b` of two ascending lists.
func subtract(_ a: [SeriesRef], _ b: [SeriesRef]) -> [SeriesRef] {
    guard !a.isEmpty, !b.isEmpty else { return a }
    var out: [SeriesRef] = []
    out.reserveCapacity(a.count)
    var j = 0
    for x in a {
        while j < b.count && b[j] < x { j += 1 }
        if j < b.count && b[j] == x { continue }
        out.append(x)
    }
    return out
}

/// `∪ lists` of ascending lists (disjoint here: a series has one value per name), ascending.
func union(_ lists: [[SeriesRef]]) -> [SeriesRef] {
    switch lists.count {
    case 0: return []
    case 1: return lists[0]
    case 2: return merge(lists[0], lists[1])
    default:
        // Pairwise rounds: O(n log k).
        var round = lists
        while round.count > 1 {
            var next: [[SeriesRef]] = []
            next.reserveCapacity((round.count + 1) / 2)
            var i = 0
            while i + 1 < round.count {
                next.append(merge(round[i], round[i + 1]))
                i += 2
            }
            if i < round.count { next.append(round[i]) }
            round = next
        }
        return round[0]
    }
}

private func merge(_ a: [SeriesRef], _ b: [SeriesRef]) -> [SeriesRef] {
    guard !a.isEmpty else { return b }
    guard !b.isEmpty else { return a }
    var out: [SeriesRef] = []
    out.reserveCapacity(a.count + b.count)
    var i = 0
    var j = 0
    while i < a.count && j < b.count {
        if a[i] < b[j] {
            out.append(a[i])
            i += 1
        } else if b[j] < a[i] {
            out.append(b[j])
            j += 1
        } else {
            out.append(a[i])
            i += 1
            j += 1
        }
    }
    if i < a.count { out.append(contentsOf: a[i...]) }
    if j < b.count { out.append(contentsOf: b[j...]) }
    return out
}
