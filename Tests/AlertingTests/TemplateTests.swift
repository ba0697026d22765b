import Testing

@testable import Alerting

// Every expected output below was rendered by promtool 2.42 (`promtool test rules` with a
// deliberately wrong exp_annotations prints what Prometheus renders), with the alert's labels
// {__name__="m", job="api", instance="host:9100", topic="Orders"}, external label region="eu"
// and external URL http://prom.example:9090/x. Error positions are Go's minus the 112 bytes of
// Prometheus's variable prefix, made 1-based.
@Suite struct TemplateTests {
    static let labels = ["__name__": "m", "job": "api", "instance": "host:9100", "topic": "Orders"]

    func render(_ source: String, value: Double = 1) throws(TemplateError) -> String {
        let data = TemplateData(labels: Self.labels, value: value, externalLabels: ["region": "eu"], externalURL: "http://prom.example:9090/x")
        return try AlertTemplate(source).render(data)
    }

    /// The parse or execution error as "line:column: message", or the output.
    func failure(_ source: String, value: Double = 1) -> String {
        do { return try render(source, value: value) } catch { return error.description }
    }

    @Test func humanize() throws {
        #expect(try render(#"{{ humanize 1234567 }}|{{ humanize 0.00012 }}|{{ humanize 1000 }}|{{ humanize 0 }}|{{ humanize "1234" }}|{{ humanize -2500 }}|{{ humanize 999.95 }}|{{ humanize 1e30 }}|{{ humanize 1e-30 }}"#)
            == "1.235M|120u|1k|0|1.234k|-2.5k|1000|1e+06Y|1e-06y")
        #expect(try render("{{ $value | humanize }} {{ $labels.job }}", value: 1234567) == "1.235M api")
        #expect(try render("{{ humanize1024 2048 }}|{{ humanize1024 1 }}|{{ humanize1024 0.5 }}|{{ humanize1024 1023.99 }}|{{ humanize1024 1e30 }}|{{ humanize1024 -4096 }}")
            == "2ki|1|0.5|1024|8.272e+05Yi|-4ki")
        #expect(try render("{{ humanizePercentage 0.1234 }}|{{ humanizePercentage 1 }}|{{ humanizePercentage 0.000001234 }}|{{ humanizePercentage \"0.5\" }}")
            == "12.34%|100%|0.0001234%|50%")
    }

    @Test func humanizeDuration() throws {
        #expect(try render(#"{{ humanizeDuration 90 }}|{{ humanizeDuration 0.5 }}|{{ humanizeDuration 3661 }}|{{ humanizeDuration 0 }}|{{ humanizeDuration 1.5 }}|{{ humanizeDuration 86400.7 }}|{{ humanizeDuration -90 }}|{{ humanizeDuration 0.000123 }}|{{ humanizeDuration -0.5 }}|{{ humanizeDuration "60" }}"#)
            == "1m 30s|500ms|1h 1m 1s|0s|1.5s|1d 0h 0m 0s|-1m 30s|123us|-500ms|1m 0s")
    }

    @Test func humanizeTimestamp() throws {
        #expect(try render(#"{{ humanizeTimestamp 1435065584.128 }}|{{ humanizeTimestamp 0 }}|{{ humanizeTimestamp -1.5 }}|{{ humanizeTimestamp 1e9 }}|{{ humanizeTimestamp "1600000000" }}|{{ humanizeTimestamp 1.0000001 }}|{{ humanizeTimestamp 9e9 }}"#)
            == "2015-06-23 13:19:44.128 +0000 UTC|1970-01-01 00:00:00 +0000 UTC|1969-12-31 23:59:58.5 +0000 UTC|2001-09-09 01:46:40 +0000 UTC|2020-09-13 12:26:40 +0000 UTC|1970-01-01 00:00:01 +0000 UTC|2255-03-14 16:00:00 +0000 UTC")
        #expect(failure("{{ humanizeTimestamp 1e12 }}") == "1:4: error calling humanizeTimestamp: 1e+12 cannot be represented as a nanoseconds timestamp since it overflows int64")
    }

    @Test func stringFunctions() throws {
        #expect(try render(#"{{ title "hello wORLD foo_bar x-y 3d ébc" }}|{{ toUpper "abc ß é" }}|{{ toLower "ABC É" }}"#) == "Hello WORLD Foo_bar X-Y 3d Ébc|ABC ß É|abc é")
        #expect(try render(#"{{ stripPort "host:9100" }}|{{ stripPort "host" }}|{{ stripPort "[::1]:80" }}|{{ stripPort "::1" }}|{{ stripPort "a:b:c" }}|{{ stripPort "host:" }}|{{ $labels.instance | stripPort }}"#)
            == "host|host|::1|::1|a:b:c|host|host")
    }

    @Test func regexFunctions() throws {
        #expect(try render(#"{{ match "^a.c$" "abc" }}|{{ match "b" "abc" }}|{{ match "^x" "abc" }}|{{ reReplaceAll "(a+)" "<$1>" "caaab aa" }}|{{ reReplaceAll "b*" "-" "abc" }}|{{ reReplaceAll "(?P<x>o)" "${x}0" "foo" }}|{{ reReplaceAll "(o)" "$1x" "foo" }}|{{ reReplaceAll "o" "$$" "foo" }}"#)
            == "true|true|false|c<aaa>b <aa>|-a-c-|fo0o0|f|f$$")
        #expect(failure(#"{{ reReplaceAll "(" "x" "y" }}"#) == "1:4: error calling reReplaceAll: regexp: Compile(`(`): error parsing regexp: missing closing ): `(`")
        #expect(failure(#"{{ match "(" "x" }}"#) == "1:4: error calling match: error parsing regexp: missing closing ): `(`")
    }

    @Test func valuesPrintLikeGo() throws {
        #expect(try render("{{ $value }}|{{ .Value }}", value: 1234567) == "1.234567e+06|1.234567e+06")
        #expect(try render("{{ 100000.0 }} {{ 123456.0 }} {{ 1e20 }} {{ 0.0001 }} {{ 0.00001 }} {{ 1000000.0 }} {{ 3.5 }} {{ 100 }} {{ -0.0 }}")
            == "100000 123456 1e+20 0.0001 1e-05 1e+06 3.5 100 -0")
        #expect(try render("{{ $value }}", value: .nan) == "NaN")
        #expect(try render("{{ $value }}", value: .infinity) == "+Inf")
        #expect(try render("{{ $labels }}") == "map[__name__:m instance:host:9100 job:api topic:Orders]")
        #expect(try render("{{ . }}") == "{map[__name__:m instance:host:9100 job:api topic:Orders] map[region:eu] http://prom.example:9090/x 1}")
        #expect(try render("{{ $externalLabels.region }} {{ $externalURL }} {{ .ExternalURL }} {{ .Labels.topic }}") == "eu http://prom.example:9090/x http://prom.example:9090/x Orders")
        #expect(try render(#"{{ 0x1F }} {{ 010 }} {{ 1_000 }} {{ 1e3 }} {{ -3 }} {{ +4 }} {{ .5 }} {{ 'a' }} {{ 1.0 }} {{ 0o17 }} {{ 0b101 }} {{ "\x41\u00e9\101\t|" }} {{ `raw\n` }}"#)
            == "31 8 1000 1000 -3 4 0.5 97 1 15 5 AéA\t| raw\\n")
    }

    @Test func missingLabelsRenderEmpty() throws {
        #expect(try render("{{ $labels.nope }}|{{ index $labels \"nope\" }}|{{ .Labels.nope }}") == "||")
        #expect(try render(#"{{ index "abc" 1 }}|{{ index $labels "job" }}|{{ index $labels }}"#) == "98|api|map[__name__:m instance:host:9100 job:api topic:Orders]")
    }

    @Test func printf() throws {
        #expect(try render(#"{{ printf "%.2f" $value }}|{{ printf "%d" $value }}|{{ printf "%.2f" 3 }}"#, value: 1234567) == "1234567.00|%!d(float64=1.234567e+06)|%!f(int=03)")
        #expect(try render(#"{{ printf "%v %s %q %x %5.1f|%-6s|%06d" 1.5 "a" "b\n" 255 3.14159 "ab" -42 }}"#) == #"1.5 a "b\n" ff   3.1|ab    |-00042"#)
        #expect(try render(#"{{ printf "%s" }}|{{ printf "%d %d" 1 }}|{{ printf "%d" 1 2 "x" }}|{{ printf "%5.2d" "ab" }}|{{ printf "%t %v" true nil }}|{{ printf "%e %E %g %G" 1234.5678 0.000012 1234567.0 1e-7 }}|{{ printf "%8.3f|%-8.2e|%+d|% d|%x|%X|%o|%b|%c|%q|%U" 3.14159 1234.5 5 5 -255 255 8 5 65 66 67 }}"#)
            == "%!s(MISSING)|1 %!d(MISSING)|1%!(EXTRA int=2, string=x)|%!d(string=   ab)|true <nil>|1.234568e+03 1.200000E-05 1.234567e+06 1E-07|   3.142|1.23e+03|+5| 5|-ff|FF|10|101|A|'B'|U+0043")
        #expect(try render(#"{{ printf "%d" $labels }}|{{ printf "%T %T %T %T" 1 1.5 "s" $labels }}|{{ printf "%s" 1.5 }}|{{ printf "%05s|%.1s|%x|% x|%#x" "ab" "héllo" "hi" "hi" "hi" }}|{{ printf "%6.2f|%-7v|%07.2f" -1.5 2.5 -3.14159 }}|{{ printf "%f %v %e" $value 1e100 0.0 }}"#)
            == "map[%!d(string=__name__):%!d(string=m) %!d(string=instance):%!d(string=host:9100) %!d(string=job):%!d(string=api) %!d(string=topic):%!d(string=Orders)]|int float64 string map[string]string|%!s(float64=1.5)|000ab|h|6869|68 69|0x6869| -1.50|2.5    |-003.14|1.000000 1e+100 0.000000e+00")
        #expect(try render(#"{{ printf "%q" "a\"b" }}|{{ printf "%v|%g|%.3g|%10.4v|%-10v|" 0.1 100000.0 1234.0 3.14159 1e7 }}|{{ printf "%5t|%-5t" true false }}"#)
            == #""a\"b"|0.1|100000|1.23e+03|     3.142|1e+07     || true|false"#)
        #expect(try render(#"{{ printf "%s %d %%" "a" 3 }}|{{ printf "%*d|%-*d|%.*f" 5 1 4 2 2 3.14159 }}|{{ printf "%!" }}|{{ printf "%z" 1 }}|{{ printf "%" }}"#)
            == "a 3 %|    1|2   |3.14|%!!(MISSING)|%!z(int=1)|%!(NOVERB)")
        #expect(try render(#"{{ printf "%f|%.1f|%e|%g|%v" (humanize 1) 0.05 -1e-300 1e21 -1e-5 }}|{{ printf "%.0f %.0f %.0f %.1f" 0.5 1.5 2.5 0.25 }}"#)
            == "%!f(string=1)|0.1|-1.000000e-300|1e+21|-1e-05|0 2 2 0.2")
        #expect(try render(#"{{ printf "%U|%+v %+.1f|%x|%X|%x|%.2x|%b|%b|%x|%b" 67 1.5 2.25 3.5 -0.1 1.0 3.14159 1.0 5e-324 0.0 -2.5 }}"#)
            == "U+0043|1.5 +2.2|0x1.cp+01|-0X1.999999999999AP-04|0x1p+00|0x1.92p+01|4503599627370496p-52|1p-1074|0x0p+00|-5629499534213120p-51")
    }

    @Test func logicAndComparison() throws {
        #expect(try render(#"{{ gt $value 0.1 }}|{{ eq "a" "a" }}|{{ eq 1 2 1 }}|{{ lt "a" "b" }}|{{ ne true false }}|{{ and 1 0 2 }}|{{ or 0 "" "x" }}|{{ not 0 }}|{{ len "héllo" }}|{{ len $labels }}|{{ and 1 2 }}|{{ or 0 "" }}"#)
            == "true|true|true|true|true|0|x|true|6|4|2|")
        #expect(try render(#"{{ print 1 2 "a" "b" 3 $value }}|{{ println 1 "a" }}|{{ len "" }}"#, value: 0.5) == "1 2ab3 0.5|1 a\n|0")
    }

    @Test func controlFlowAndVariables() throws {
        #expect(try render(#"{{ if true }}T{{ end }}|{{ if 0 }}T{{ else }}F{{ end }}|{{ if $labels.nope }}T{{ else if $labels.job }}J{{ else }}F{{ end }}|{{ with $labels.job }}<{{ . }}>{{ else }}none{{ end }}|{{ with $labels.nope }}<{{ . }}>{{ else }}none{{ end }}"#)
            == "T|F|J|<api>|none")
        #expect(try render("{{ $x := 1 }}{{ $x = 2 }}{{ $x }}") == "2")
    }

    @Test func trimMarkersAndComments() throws {
        #expect(try render("a  {{- 1 -}}  b\n  {{- /* c */ -}}\n  c {{/* x */}} d {{ 3 -}}\n e") == "a1bc  d 3e")
    }

    @Test func executionErrorsArePositioned() {
        #expect(failure(#"{{ humanize "abc" }}"#) == #"1:4: error calling humanize: strconv.ParseFloat: parsing "abc": invalid syntax"#)
        #expect(failure("{{ humanize true }}") == "1:4: error calling humanize: can't convert bool to float")
        #expect(failure("{{ toUpper 3 }}") == "1:12: expected string; found 3")
        #expect(failure("{{ $value | toUpper }}") == "1:13: wrong type for value; expected string; got float64")
        #expect(failure("{{ gt $value 80 }}") == "1:4: error calling gt: incompatible types for comparison")
        #expect(failure("{{ lt true false }}") == "1:4: error calling lt: invalid type for comparison")
        #expect(failure("{{ eq $labels $labels }}") == "1:4: error calling eq: non-comparable type map[__name__:m instance:host:9100 job:api topic:Orders]: map[string]string")
        #expect(failure("{{ .Foo }}") == "1:4: can't evaluate field Foo in type struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value float64 }")
        #expect(failure("{{ $labels.job.x }}") == "1:11: can't evaluate field x in type string")
        #expect(failure(#"{{ toUpper "a" "b" }}"#) == "1:4: wrong number of args for toUpper: want 1 got 2")
        #expect(failure("{{ index $labels 1 }}") == "1:4: error calling index: value has type int; should be string")
        #expect(failure("{{ $value.x }}") == "1:10: can't evaluate field x in type float64")
        #expect(failure("{{ len 3 }}") == "1:4: error calling len: len of type int")
        #expect(failure("{{ $labels.job 1 }}") == "1:11: job is not a method but has arguments")
        #expect(failure(#"{{ "x" | $labels.job }}"#) == "1:17: job is not a method but has arguments")
        #expect(failure("{{ nil }}") == "1:4: nil is not a command")
        #expect(failure("{{ $value 1 }}") == "1:4: can't give argument to non-function $value")
        #expect(failure("{{ .Labels 1 }}") == "1:4: Labels has arguments but cannot be invoked as function")
        #expect(failure("{{ eq 1 1.0 }}") == "1:4: error calling eq: incompatible types for comparison")
        #expect(failure("{{ eq }}") == "1:4: wrong number of args for eq: want at least 1 got 0")
    }
}
