/// Interned label names and values: each distinct string is stored once and named by a small id.
/// Reference-counted by the series that use it, so a string no series uses any more is freed (its
/// id is reused for the next new string).
struct SymbolTable {
    private var ids: [String: UInt32] = [:]
    private(set) var strings: [String] = []
    private var refcounts: [UInt32] = []
    private var freeIDs: [UInt32] = []

    var count: Int { ids.count }

    func id(_ string: String) -> UInt32? { ids[string] }

    @inline(__always)
    func string(_ id: UInt32) -> String { strings[Int(id)] }

    /// The id of `string`, creating it if needed; takes one reference.
    mutating func intern(_ string: String) -> UInt32 {
        if let id = ids[string] {
            refcounts[Int(id)] += 1
            return id
        }
        let id: UInt32
        if let reused = freeIDs.popLast() {
            id = reused
            strings[Int(id)] = string
            refcounts[Int(id)] = 1
        } else {
            id = UInt32(strings.count)
            strings.append(string)
            refcounts.append(1)
        }
        ids[string] = id
        return id
    }

    /// Drops one reference; the string is freed when none is left.
    mutating func release(_ id: UInt32) {
        let index = Int(id)
        refcounts[index] -= 1
        guard refcounts[index] == 0 else { return }
        ids[strings[index]] = nil
        strings[index] = ""
        freeIDs.append(id)
        // Give back the tables' memory once most of it is unused.
        if ids.isEmpty {
            self = SymbolTable()
        } else if ids.count * 4 < ids.capacity && ids.capacity > 1024 {
            ids = Dictionary(uniqueKeysWithValues: ids.map { ($0.key, $0.value) })
        }
    }
}
