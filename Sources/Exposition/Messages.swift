import ScopeCore

/// Every message the exposition parser reports, in one place (each has a test in
/// Tests/ExpositionTests/ErrorPathTests.swift). A message says what is wrong and what the format
/// expects, so the person reading it can fix the exporter or the file.
enum Message {
    // Lines and structure
    static let missingLineFeed = "the last line does not end with a line feed (\\n); every line of the exposition must"
    static let blankLine = "blank line: OpenMetrics does not allow empty lines"
    static let missingEOF = "missing '# EOF': an OpenMetrics exposition must end with a '# EOF' line"
    static let textAfterEOF = "text after '# EOF': it must be the last line of an OpenMetrics exposition"
    static let badComment = "OpenMetrics has no free-form comments: a '#' line must be '# HELP', '# TYPE', '# UNIT' or '# EOF'"
    static func unknownKeyword(_ word: String) -> String {
        "unknown metadata keyword \(word): OpenMetrics allows only '# HELP', '# TYPE', '# UNIT' and '# EOF'"
    }

    // Metric names
    static func badMetricNameStart(_ found: String) -> String {
        "expected a metric name, found \(found): names start with a letter, '_' or ':'"
    }
    static func badMetricNameChar(_ found: String) -> String {
        "invalid character \(found) in metric name: names use letters, digits, '_' and ':'"
    }

    // Labels
    static func badLabelNameStart(_ found: String) -> String {
        "expected a label name, found \(found): label names start with a letter or '_'"
    }
    static func badLabelNameChar(_ found: String, _ label: String) -> String {
        "invalid character \(found) in label name '\(label)': label names use letters, digits and '_'"
    }
    static func expectedEquals(_ label: String) -> String { "expected '=' after label name '\(label)'" }
    static func expectedQuote(_ label: String) -> String {
        "expected '\"' to open the value of label '\(label)': label values are double-quoted"
    }
    static let unterminatedValue = "label value is not closed: a '\"' is missing before the end of the line (write a line feed inside a value as \\n)"
    static func badEscape(_ found: String) -> String {
        "invalid escape sequence \(found) in label value: the text format allows only \\\\, \\\" and \\n"
    }
    static let unclosedLabels = "the label set is not closed: expected ',' or '}'"
    static func expectedCommaOrBrace(_ label: String, _ found: String) -> String {
        "expected ',' or '}' after the value of label '\(label)', found \(found)"
    }
    static let trailingComma = "a ',' must be followed by another label: OpenMetrics does not allow a trailing comma"
    static func duplicateLabel(_ label: String) -> String { "label '\(label)' appears twice in the same label set" }
    static let reservedName = "label name '__name__' is reserved for the metric name and cannot be set as a label"
    static func invalidUTF8(_ what: String) -> String { "\(what) is not valid UTF-8" }

    // Values and timestamps
    static func missingValue(_ name: String) -> String { "missing value: expected a number after '\(name)' and its labels" }
    static func spaceBeforeValue(_ found: String) -> String {
        "expected a single space before the value, found \(found)"
    }
    static let extraSpace = "expected a value, found another space: OpenMetrics separates fields with exactly one space"
    static let trailingSpace = "unexpected space at the end of the line"
    static func badValue(_ found: String, openMetrics: Bool) -> String {
        openMetrics
            ? "invalid value \(found): expected a number such as 12, -3.5, 1e-3, +Inf, -Inf or NaN"
            : "invalid value \(found): expected a float as Go's ParseFloat reads it, such as 12, -3.5, 1e-3, +Inf, -Inf or NaN"
    }
    static func valueOutOfRange(_ found: String) -> String {
        "value \(found) is beyond the range of a 64-bit float (write +Inf or -Inf for infinity)"
    }
    static func badTextTimestamp(_ found: String) -> String {
        "invalid timestamp \(found): the text format takes an integer number of milliseconds since the epoch"
    }
    static func badOpenMetricsTimestamp(_ found: String) -> String {
        "invalid timestamp \(found): OpenMetrics takes seconds since the epoch, such as 1700000000 or 1700000000.123 (not NaN or Inf)"
    }
    static func afterTimestamp(_ found: String) -> String {
        "unexpected \(found) after the value and timestamp: expected the end of the line (or, in OpenMetrics, ' # {labels} value' for an exemplar)"
    }
    static let exemplarInText = "exemplars ('# {…}' after the value) are an OpenMetrics feature; the 0.0.4 text format has none (serve application/openmetrics-text)"

    // Exemplars
    static let badExemplarStart = "an exemplar must look like '# {labels} value [timestamp]', with one space after '#'"
    static let missingExemplarValue = "missing exemplar value after the exemplar's labels"
    static func afterExemplar(_ found: String) -> String { "unexpected \(found) after the exemplar: expected the end of the line" }
    static func exemplarTooLong(_ length: Int) -> String {
        "exemplar labels are \(length) characters long; OpenMetrics allows at most 128 (names and values together)"
    }
    static let exemplarNotAllowed = "exemplars are allowed only on counters' _total and histograms' _bucket samples"

    // Metadata (both dialects)
    static func duplicateHelp(_ name: String) -> String { "second '# HELP' line for '\(name)': each metric has at most one" }
    static func duplicateType(_ name: String) -> String { "second '# TYPE' line for '\(name)': each metric has at most one" }
    static func duplicateUnit(_ name: String) -> String { "second '# UNIT' line for '\(name)': each metric has at most one" }
    static func typeAfterSamples(_ name: String) -> String {
        "'# TYPE' for '\(name)' comes after samples of '\(name)': it must come before the first one"
    }
    static func metadataAfterSamples(_ keyword: String, _ name: String) -> String {
        "'# \(keyword)' for '\(name)' comes after its samples: a family's metadata must precede its samples"
    }
    static func badMetadataName(_ keyword: String, _ found: String) -> String {
        "invalid metric name in '# \(keyword)' line: unexpected \(found)"
    }
    static func missingMetadataName(_ keyword: String) -> String { "expected a metric name after '# \(keyword)'" }
    static func missingMetadataText(_ keyword: String, _ name: String) -> String {
        switch keyword {
        case "TYPE": "expected a space and the metric type after '# TYPE \(name)'"
        case "UNIT": "expected a space and the unit after '# UNIT \(name)' (the unit may be empty, the space may not)"
        default: "expected a space and the help text after '# HELP \(name)' (the text may be empty, the space may not)"
        }
    }
    static func unknownTextType(_ found: String) -> String {
        "unknown metric type \(found): the text format knows counter, gauge, histogram, summary and untyped"
    }
    static func unknownOpenMetricsType(_ found: String) -> String {
        "unknown metric type \(found): OpenMetrics knows counter, gauge, histogram, gaugehistogram, summary, info, stateset and unknown"
    }
    static let untypedInOpenMetrics = "'untyped' is not an OpenMetrics type: use 'unknown'"
    static func badUnitChar(_ found: String) -> String { "invalid character \(found) in unit: units use letters, digits, '_' and ':'" }
    static func unitMismatch(_ name: String, _ unit: String) -> String {
        "unit '\(unit)' does not match metric '\(name)': a metric with a unit must be named '…_\(unit)'"
    }
    static func unitNotAllowed(_ type: MetricType) -> String { "\(type.rawValue) metrics cannot have a unit" }
    static func clash(_ name: String, line: Int) -> String {
        "metric name '\(name)' is already used by the family that starts on line \(line): a family's lines must be together and its names unique"
    }

    // 0.0.4 histogram / summary labels
    static func badLe(_ value: String) -> String { "histogram bucket has le=\"\(sanitizeForTerminal(value))\", which is not a number" }
    static func badQuantile(_ value: String) -> String { "summary quantile=\"\(sanitizeForTerminal(value))\" is not a number" }

    // OpenMetrics value rules
    static func statesetLabel(_ name: String) -> String {
        "stateset sample needs a label named '\(name)' (the family's name) holding the state"
    }
    static let statesetValue = "stateset values must be 0 or 1"
    static let infoValue = "info values must be 1"
    static func missingQuantile(_ name: String) -> String {
        "summary sample '\(name)' needs a quantile label (or use \(name)_sum / \(name)_count)"
    }
    static func badQuantileOM(_ value: String) -> String {
        "quantile=\"\(sanitizeForTerminal(value))\" is not a number between 0 and 1"
    }
    static let negativeQuantileValue = "quantile values cannot be negative"
    static func missingLe(_ name: String) -> String { "bucket of '\(name)' needs an le label (its upper bound)" }
    static func badLeOM(_ value: String) -> String { "le=\"\(sanitizeForTerminal(value))\" is not a number (NaN is not a bucket bound)" }
    static func nonCanonicalInf(_ value: String) -> String { "le=\"\(sanitizeForTerminal(value))\" must be written le=\"+Inf\"" }
    static func counterNaN(_ suffix: String) -> String { "\(suffix) samples count things and cannot be NaN" }
    static func counterNegative(_ suffix: String) -> String { "\(suffix) samples count things and cannot be negative" }
    static func notInteger(_ suffix: String) -> String { "\(suffix) samples must be whole numbers (counts)" }

    // OpenMetrics grouping
    static let timestampMix = "some samples of this label set have a timestamp and some do not: all or none must"
    static let timestampBackwards = "timestamp goes backwards within the samples of one label set"
    static func interleaved(_ name: String) -> String {
        "samples of '\(name)' with this label set already appeared above, separated by other label sets: each label set's samples must be together"
    }

    // OpenMetrics histograms (checked per label set)
    static let bucketsOutOfOrder = "buckets out of order: each le must be greater than the previous bucket's"
    static let bucketsDecreasing = "bucket counts must not decrease as le increases (buckets are cumulative)"
    static func missingInfBucket(_ name: String) -> String { "histogram '\(name)' has no le=\"+Inf\" bucket as its last bucket" }
    static func countMismatch(_ name: String, gauge: Bool) -> String {
        "\(name)\(gauge ? "_gcount" : "_count") differs from the value of the le=\"+Inf\" bucket"
    }
    static func sumWithoutCount(_ name: String) -> String { "\(name)_sum without \(name)_count: both or neither" }
    static func gsumWithoutGcount(_ name: String) -> String { "\(name)_gsum without \(name)_gcount: both or neither" }
    static func countWithoutSum(_ name: String, gauge: Bool) -> String {
        gauge ? "\(name)_gcount without \(name)_gsum: both or neither" : "\(name)_count without \(name)_sum: both or neither"
    }
    static func sumWithNegativeBuckets(_ name: String) -> String {
        "histogram '\(name)' has negative buckets, so it cannot have a _sum (use a gaugehistogram)"
    }
    static func negativeGsum(_ name: String) -> String { "\(name)_gsum is negative but no bucket is" }
}
