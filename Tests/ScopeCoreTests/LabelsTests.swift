import Testing

@testable import ScopeCore

@Suite struct LabelsTests {
    @Test func pairsAreSortedByName() {
        let labels = Labels([Label("zone", "eu"), Label("app", "api"), Label("job", "scrape")])
        #expect(labels.pairs.map(\.name) == ["app", "job", "zone"])
        #expect(labels.count == 3)
        #expect(labels["job"] == "scrape")
        #expect(labels["missing"] == nil)
    }

    @Test func orderDoesNotMatterForEqualityOrHashing() {
        let a = Labels([Label("b", "2"), Label("a", "1")])
        let b: Labels = ["a": "1", "b": "2"]
        let c = Labels(["b": "2", "a": "1"])
        #expect(a == b && b == c)
        #expect(a.hashValue == b.hashValue)
        #expect(Set([a, b, c]).count == 1)
        #expect(a != Labels([Label("a", "1"), Label("b", "3")]))
    }

    @Test func repeatedNamesKeepTheLastValue() {
        let labels = Labels([Label("job", "first"), Label("instance", "x"), Label("job", "second")])
        #expect(labels.count == 2)
        #expect(labels["job"] == "second")
        let literal: Labels = ["job": "a", "job2": "b"]
        #expect(literal.count == 2)
    }

    @Test func settingAndRemovingReturnCopies() {
        let base: Labels = ["job": "api", "le": "0.5"]
        let set = base.setting("le", "+Inf")
        #expect(set["le"] == "+Inf" && set.count == 2)
        #expect(base["le"] == "0.5", "the original is unchanged")
        let added = base.setting("a", "first")
        #expect(added.pairs.map(\.name) == ["a", "job", "le"])
        let removed = base.removing("le")
        #expect(removed == ["job": "api"])
        #expect(base.removing("absent") == base)
        #expect(Labels().isEmpty && !base.isEmpty)
    }

    @Test func descriptionEscapesLikePrometheus() {
        let labels: Labels = ["path": "C:\\dir", "quote": "say \"hi\"", "multi": "a\nb", "plain": "ünïcode ok"]
        #expect(labels.description == #"{multi="a\nb", path="C:\\dir", plain="ünïcode ok", quote="say \"hi\""}"#)
        #expect(Labels().description == "{}")
    }

    @Test func escapeLabelValueEscapesExactlyThreeCharacters() {
        #expect(escapeLabelValue("plain") == "plain")
        #expect(escapeLabelValue("\\") == "\\\\")
        #expect(escapeLabelValue("\"") == "\\\"")
        #expect(escapeLabelValue("\n") == "\\n")
        #expect(escapeLabelValue("tab\there") == "tab\there", "tabs are not escaped")
        // A CR LF pair is one Character in Swift; its line feed must still be escaped.
        #expect(escapeLabelValue("a\r\nb") == "a\r\\nb")
        #expect(escapeLabelValue("\\\u{301}") == "\\\\\u{301}", "a backslash followed by a combining mark")
    }

    @Test func labelOrderingIsByNameThenValue() {
        #expect(Label("a", "z") < Label("b", "a"))
        #expect(Label("a", "1") < Label("a", "2"))
        #expect(!(Label("a", "1") < Label("a", "1")))
    }
}

@Suite struct LabelsPresortedTests {
    @Test func presortedPairsAreTakenAsTheyAreAndOthersAreSorted() {
        let sorted = Labels(presorted: [Label("a", "1"), Label("b", "2"), Label("c", "3")])
        #expect(sorted == ["a": "1", "b": "2", "c": "3"])
        #expect(sorted.pairs.map(\.name) == ["a", "b", "c"])
        // Out of order or repeated names fall back to the sorting, deduplicating initializer.
        let unsorted = Labels(presorted: [Label("b", "2"), Label("a", "1")])
        #expect(unsorted.pairs.map(\.name) == ["a", "b"])
        let repeated = Labels(presorted: [Label("a", "1"), Label("a", "2")])
        #expect(repeated == ["a": "2"])
        #expect(Labels(presorted: []).isEmpty)
        #expect(Labels(presorted: [Label("x", "1")]) == ["x": "1"])
        #expect(sorted.hashValue == Labels([Label("c", "3"), Label("a", "1"), Label("b", "2")]).hashValue)
    }
}
