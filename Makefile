# Build and test entry points (DESIGN.md §9). `make test` is what CI runs.
SWIFT ?= swift
PYTHON ?= python3

.PHONY: deps build test unit-test integration-test clean

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

clean:
	rm -rf .build
