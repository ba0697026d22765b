// libFuzzer entry for the alert annotation templates (Alerting's Template.swift and
// TemplateFunctions.swift, compiled into this module by scripts/fuzz): any bytes, read as UTF-8,
// must either fail to parse with an error positioned inside the template, or parse and render
// (or fail to render with a positioned error) within the output bound. Never a crash or a hang.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTemplate(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let source = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    // Lines as the lexer counts them: by "\n" bytes (a "\r\n" is one Character, so splitting the
    // String would undercount).
    let lines = source.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).count
    func checkPosition(_ error: TemplateError, _ what: String) {
        // A position one past the end (an unclosed action) is fine; beyond it is a bug.
        if error.line < 1 || error.line > lines + 1 || error.column < 1 {
            fatalError("\(what) error at \(error.line):\(error.column) outside the template (\(lines) lines): \(error) in \(source.debugDescription)")
        }
    }
    let template: AlertTemplate
    do {
        template = try AlertTemplate(source)
    } catch {
        checkPosition(error, "parse")
        return 0
    }
    let value = size > 0 ? Double(data[0]) * 1234.5 - 1000 : .nan
    let data = TemplateData(labels: ["consumergroup": "billing", "topic": "orders", "__name__": "lag"], value: value,
                            externalLabels: ["cluster": "prod"], externalURL: "http://strmscope")
    do {
        let output = try template.render(data)
        if output.utf8.count > 1 << 17 { fatalError("output of \(output.utf8.count) bytes is past the bound for \(source.debugDescription)") }
    } catch {
        checkPosition(error, "render")
    }
    return 0
}
