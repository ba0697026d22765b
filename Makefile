# The two commands a person types on a fresh machine: `make run` and `make test`.
# Both install what they need first (scripts/bootstrap is idempotent).

SWIFT ?= swift
BIN := .build/debug/strmscope

.PHONY: all bootstrap build run test unit-test e2e-test fuzz bench clean

all: build

bootstrap:
	@scripts/bootstrap

build: bootstrap
	$(SWIFT) build

# The scope on the embedded demo workload (q quits).
run: build
	$(BIN)

# Everything CI checks: unit tests (Swift Testing), then end-to-end scripts against the real binary.
test: unit-test e2e-test

unit-test: bootstrap
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --disable-xctest

e2e-test: build
	.venv/bin/python scripts/cli-test $(BIN)
	.venv/bin/python scripts/readme-test $(BIN)
	.venv/bin/python scripts/abuse-test $(BIN)
	.venv/bin/python scripts/crash-test $(BIN)
	.venv/bin/python scripts/scope-test $(BIN)
	.venv/bin/python scripts/rules-test $(BIN)
	.venv/bin/python scripts/eval-test $(BIN)
	.venv/bin/python scripts/otlp-test $(BIN)
	.venv/bin/python scripts/check-metrics-test $(BIN)
	.venv/bin/python scripts/presets-test $(BIN)
	.venv/bin/python scripts/flink-test $(BIN)
	.venv/bin/python scripts/kafka-test $(BIN)
	$(BIN) test promql Tests/PromQLTests/Scripts/*.test ../shared/conformance/promql/testdata-v2.42.0/*.test
	.venv/bin/python scripts/differential-test $(BIN)
	scripts/fuzz 20

# Longer fuzzing of the log's decoders (libFuzzer + ASan).
fuzz: build
	scripts/fuzz 600

# Benchmarks (release build of Benchmarks/, a separate package) beside the machine's own limits.
bench: bootstrap
	scripts/bench
	$(SWIFT) build -c release
	.venv/bin/python scripts/bench-kafka .build/release/strmscope

clean:
	rm -rf .build Benchmarks/.build fuzz-out
