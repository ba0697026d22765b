import Exporter
import ScopeCore
import SeriesStore

/// `--otlp-listen` on scope and eval: an OTLP/HTTP receiver writing what it gets into the
/// command's store, beside its other sources.
public struct OTLPListen: Sendable {
    public var address: ListenAddress
    public var options: OTLPReceiver.Options

    public init(address: ListenAddress, options: OTLPReceiver.Options) {
        self.address = address
        self.options = options
    }

    /// Starts the receiver (throws when the address cannot be bound). `report` hears about
    /// unmappable points once per kind.
    func start(into store: SeriesStore, report: @escaping @Sendable (String) -> Void) throws -> HTTPServer {
        let metrics = SelfMetrics()
        let receiver = OTLPReceiver(options: options, metrics: metrics, report: report, sink: storeSink(store, metrics: metrics))
        return try HTTPServer.start(address, routes: [receiver.route], notFound: { [receiver] in receiver.handle($0) })
    }
}
