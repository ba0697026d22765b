import ArgumentParser
import Collectors
import ScopeCore
import Exporter
import Foundation
import StrmScopeApp

/// The OTLP receiver's flags, shared by scope, eval and export.
struct OTLPReceiverOptions: ParsableArguments {
    @Option(name: .customLong("otlp-listen"), help: ArgumentHelp(
        "Receive OTLP/HTTP metrics (POST /v1/metrics, protobuf or JSON, gzip) on this address (e.g. 127.0.0.1:4318).",
        valueName: "host:port"))
    var listen: String?

    @Option(name: .customLong("otlp-token-file"), help: ArgumentHelp(
        "Require `Authorization: Bearer <token>`, the token read from this file.", valueName: "file"))
    var tokenFile: String?

    @Option(name: .customLong("otlp-max-body"), help: ArgumentHelp("Largest request body as sent, in bytes (413 above).", valueName: "bytes"))
    var maxBody: Int = 4 << 20

    @Option(name: .customLong("otlp-max-decompressed"), help: ArgumentHelp(
        "Largest request body after gzip decompression, in bytes (413 above: gzip bombs).", valueName: "bytes"))
    var maxDecompressed: Int = 32 << 20

    @Option(name: .customLong("otlp-max-series-bytes"), help: ArgumentHelp(
        "Bytes of label data the received series may hold; a request whose new series would pass it gets 429 + Retry-After.",
        valueName: "bytes"))
    var maxSeriesBytes: Int = OTLPReceiver.Options().maxSeriesBytes

    @Option(name: .customLong("otlp-max-label-value-bytes"), help: ArgumentHelp(
        "Longest label value of a received point; longer ones are dropped (counted, in partial_success).", valueName: "bytes"))
    var maxLabelValueBytes: Int = OTLPReceiver.Options().maxLabelValueBytes

    func validate() throws {
        if let listen, ListenAddress(listen) == nil {
            throw ValidationError("--otlp-listen: \"\(listen)\" is not host:port (examples: 127.0.0.1:4318, :4318, [::1]:4318)")
        }
        guard maxBody > 0, maxDecompressed > 0, maxSeriesBytes > 0, maxLabelValueBytes > 0 else {
            throw ValidationError("--otlp-max-body, --otlp-max-decompressed, --otlp-max-series-bytes and --otlp-max-label-value-bytes must be positive")
        }
        if tokenFile != nil && listen == nil { throw ValidationError("--otlp-token-file needs --otlp-listen") }
    }

    var address: ListenAddress? { listen.flatMap(ListenAddress.init) }

    /// The receiver's options; reads the token file (an unreadable or empty one is an error).
    func receiverOptions() throws -> OTLPReceiver.Options {
        var options = OTLPReceiver.Options()
        options.maxBodyBytes = maxBody
        options.maxDecompressedBytes = maxDecompressed
        options.maxSeriesBytes = maxSeriesBytes
        options.maxLabelValueBytes = maxLabelValueBytes
        if let address, !address.isLoopback, tokenFile == nil {
            writeError("strmscope: warning: --otlp-listen \(address) accepts OTLP from other hosts without a token: anyone who reaches it can "
                       + "write series (use --otlp-token-file, or listen on 127.0.0.1)")
        }
        if let tokenFile {
            guard let text = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
                throw ValidationError("--otlp-token-file: cannot read \(tokenFile)")
            }
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty else { throw ValidationError("--otlp-token-file: \(tokenFile) is empty") }
            options.token = token
        }
        return options
    }
}

/// `--query-timeout`: a duration of at least 10ms.
func validateQueryTimeout(_ text: String) throws {
    guard let ms = parseDurationMs(text), ms >= 10 else {
        throw ValidationError("--query-timeout: \"\(text)\" is not a duration of at least 10ms (examples: 2s, 30s, 1m)")
    }
}

/// Prometheus's per-target scrape limits, shared by every command that scrapes. A target over
/// one fails its own scrape (`up 0`, the reason on stderr and in the scope's status line).
struct ScrapeLimitOptions: ParsableArguments {
    @Option(name: .customLong("scrape-sample-limit"), help: ArgumentHelp("Most samples one scrape of a target may expose.", valueName: "n"))
    var sampleLimit = ScrapeLimits().sampleLimit

    @Option(name: .customLong("scrape-label-limit"), help: ArgumentHelp("Most labels one series of a target may carry.", valueName: "n"))
    var labelLimit = ScrapeLimits().labelLimit

    @Option(name: .customLong("scrape-label-name-length-limit"), help: ArgumentHelp("Longest label name, in bytes.", valueName: "bytes"))
    var labelNameLengthLimit = ScrapeLimits().labelNameLengthLimit

    @Option(name: .customLong("scrape-label-value-length-limit"), help: ArgumentHelp("Longest label value, in bytes.", valueName: "bytes"))
    var labelValueLengthLimit = ScrapeLimits().labelValueLengthLimit

    @Option(name: .customLong("scrape-body-size-limit"), help: ArgumentHelp("Largest response body of a scrape, in bytes.", valueName: "bytes"))
    var bodySizeLimit = ScrapeLimits().bodySizeLimit

    func validate() throws {
        for (flag, value) in [("--scrape-sample-limit", sampleLimit), ("--scrape-label-limit", labelLimit),
                              ("--scrape-label-name-length-limit", labelNameLengthLimit),
                              ("--scrape-label-value-length-limit", labelValueLengthLimit), ("--scrape-body-size-limit", bodySizeLimit)]
        where value < 1 {
            throw ValidationError("\(flag) must be at least 1, not \(value)")
        }
    }

    var limits: ScrapeLimits {
        var limits = ScrapeLimits()
        limits.sampleLimit = sampleLimit
        limits.labelLimit = labelLimit
        limits.labelNameLengthLimit = labelNameLengthLimit
        limits.labelValueLengthLimit = labelValueLengthLimit
        limits.bodySizeLimit = bodySizeLimit
        return limits
    }
}

/// A size: bytes, or with a unit (`512MiB`, `2GiB`, `64KiB`, also `MB`/`GB` as powers of 1024).
func parseByteSize(_ text: String) -> Int? {
    let units: [(String, Int)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("KB", 1 << 10), ("MB", 1 << 20), ("GB", 1 << 30),
                                  ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30), ("B", 1)]
    for (suffix, factor) in units where text.hasSuffix(suffix) {
        guard let n = Int(text.dropLast(suffix.count)), n > 0, n <= Int.max / factor else { return nil }
        return n * factor
    }
    return Int(text).flatMap { $0 > 0 ? $0 : nil }
}

/// `--max-memory`: the store's memory budget, shared by scope and eval.
struct MemoryOptions: ParsableArguments {
    @Option(name: .customLong("max-memory"), help: ArgumentHelp(
        "The store's memory budget: new series are refused (counted, shown) before its estimate passes it (default 1GiB).",
        valueName: "size"))
    var maxMemory = "1GiB"

    func validate() throws {
        guard let bytes = parseByteSize(maxMemory), bytes >= 1 << 20 else {
            throw ValidationError("--max-memory: \"\(maxMemory)\" is not a size of at least 1MiB (examples: 512MiB, 2GiB)")
        }
    }

    var bytes: Int { parseByteSize(maxMemory)! }
}
