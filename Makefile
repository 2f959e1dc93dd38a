# Build and test entry points (DESIGN.md §9). `make test` is what CI runs.
SWIFT ?= swift
PYTHON ?= python3

.PHONY: deps build test unit-test integration-test bench clean

deps:
	bash hack/install-deps.sh

build: deps
	$(SWIFT) build --product media-pod
	$(SWIFT) build --product devcluster
	$(SWIFT) build --product broadcast-operator

unit-test: deps
	$(SWIFT) test

integration-test: build
	$(PYTHON) -m pytest Tests/Integration

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) build --product media-pod
	$(SWIFT) build --product devcluster
	$(SWIFT) build --product broadcast-operator
	$(SWIFT) test --skip-build
	$(PYTHON) -m pytest Tests/Integration

# Ingest: release build of ingest-bench (it needs WebRTC and MediaCrypto, not the pod); BENCH_ARGS are passed on,
# e.g. `make bench BENCH_ARGS="--seconds 60"`. Writes bench/results/latest.json.
# Egress (bench/egress_bench.py, ~4.5 min): the release media-pod with N aiortc publishers → nginx-rtmp beside
# ffmpeg copy+aac and ffmpeg libx264; EGRESS_BENCH_ARGS are passed on, e.g. `EGRESS_BENCH_ARGS="--counts 1,2,4,6"`.
# Adds the key "egress" to bench/results/latest.json.
# devcluster (bench/devcluster_bench.py): the release devcluster with 10 000 custom objects (create rate and latency,
# full and paged list, watch fan-out to 200 watchers, RSS and CPU per phase) beside GET /version and a Python TLS
# server sending the same bytes; DEVCLUSTER_BENCH_ARGS are passed on, e.g. `DEVCLUSTER_BENCH_ARGS="--objects 2000
# --watchers 50"`. Adds the key "devcluster" to bench/results/latest.json.
# Operator (bench/operator_bench.py, ~2 min): the release broadcast-operator and devcluster, 10 000 Broadcasts created
# as fast as the server takes them over 500 Ready media pods: create→Scheduled p50/p90/p99/max, operator RSS and CPU,
# beside the same latency when the benchmark writes the status itself (no operator); checks every Broadcast is
# Scheduled and no pod over capacity; OPERATOR_BENCH_ARGS are passed on, e.g. `OPERATOR_BENCH_ARGS="--broadcasts
# 1000 --pods 50"`. Adds the key "operator" to bench/results/latest.json.
bench: deps
	$(SWIFT) build -c release --product ingest-bench
	$(SWIFT) build -c release --product media-pod
	$(SWIFT) build -c release --product devcluster
	$(SWIFT) build -c release --product broadcast-operator
	$(SWIFT) run -c release --skip-build ingest-bench $(BENCH_ARGS)
	$(PYTHON) bench/egress_bench.py $(EGRESS_BENCH_ARGS)
	$(PYTHON) bench/devcluster_bench.py $(DEVCLUSTER_BENCH_ARGS)
	$(PYTHON) bench/operator_bench.py $(OPERATOR_BENCH_ARGS)

clean:
	rm -rf .build
