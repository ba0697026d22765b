import ArgumentParser
import ScopeCore
import Exporter
import Foundation

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

    func validate() throws {
        if let listen, ListenAddress(listen) == nil {
            throw ValidationError("--otlp-listen: \"\(listen)\" is not host:port (examples: 127.0.0.1:4318, :4318, [::1]:4318)")
        }
        guard maxBody > 0, maxDecompressed > 0 else { throw ValidationError("--otlp-max-body and --otlp-max-decompressed must be positive") }
        if tokenFile != nil && listen == nil { throw ValidationError("--otlp-token-file needs --otlp-listen") }
    }

    var address: ListenAddress? { listen.flatMap(ListenAddress.init) }

    /// The receiver's options; reads the token file (an unreadable or empty one is an error).
    func receiverOptions() throws -> OTLPReceiver.Options {
        var options = OTLPReceiver.Options()
        options.maxBodyBytes = maxBody
        options.maxDecompressedBytes = maxDecompressed
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
