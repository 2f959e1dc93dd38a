# Build and test entry points (DESIGN.md §9). `make test` is what CI runs.
SWIFT ?= swift
PYTHON ?= python3

.PHONY: deps build test unit-test integration-test bench clean

deps:
	bash hack/install-deps.sh

build: deps
	$(SWIFT) build --product media-pod

unit-test: deps
	$(SWIFT) test

integration-test: build
	$(PYTHON) -m pytest Tests/Integration

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) build --product media-pod
	$(SWIFT) test --skip-build
	$(PYTHON) -m pytest Tests/Integration

# Release build of the benchmark only (it needs WebRTC and MediaCrypto, not the pod); BENCH_ARGS are passed on,
# e.g. `make bench BENCH_ARGS="--seconds 60"`. Writes bench/results/latest.json.
bench: deps
	$(SWIFT) build -c release --product ingest-bench
	$(SWIFT) run -c release --skip-build ingest-bench $(BENCH_ARGS)

clean:
	rm -rf .build
