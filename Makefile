# hotline: the two commands a newcomer needs are `sudo make run` and `sudo make test` (see README.md).
SHELL := /bin/bash
GO ?= go
SANDBOX := asterisk-conf/sandbox
# Fuzz targets run for a bounded time in `make test` (parsers must not panic or hang on garbage).
FUZZTIME ?= 20s

.PHONY: run test unit vet fmt-check fuzz sandbox-up sandbox-down build

build:
	$(GO) build -o bin/hotline ./cmd/hotline

sandbox-up:
	$(SANDBOX) up

sandbox-down:
	$(SANDBOX) down

# The main job: the sandbox Asterisk plus `hotline serve` in the foreground (Ctrl-C stops hotline;
# `make sandbox-down` stops Asterisk).
run: build sandbox-up
	eval "$$($(SANDBOX) env)" && ./bin/hotline demo

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Unit tests only: no Asterisk needed.
unit:
	$(GO) test -count=1 . ./config ./control ./board ./report ./routing ./journal ./switchboard ./switchboard/amiadapter ./switchboard/journaladapter ./daemon ./cmd/hotline ./integration-tests/sipphone ./spool ./termtext

fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f ($(FUZZTIME))"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; done

# Everything: the sandbox (built on first use), vet, gofmt, every test (packages one at a time: the
# Asterisk-backed ones share one sandbox and some restart it), then bounded fuzzing.
test: sandbox-up vet fmt-check
	eval "$$($(SANDBOX) env)" && $(GO) test -p 1 -count=1 -timeout 40m ./...
	$(MAKE) fuzz

# The load benchmark (issue 12): sudo make bench-load.
include bench.mk
