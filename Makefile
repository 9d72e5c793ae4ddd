# hotline: the two commands a newcomer needs are `sudo make run` and `sudo make test` (see README.md).
SHELL := /bin/bash
GO ?= go
SANDBOX := asterisk-conf/sandbox
# Fuzz targets run for a bounded time in `make test` (parsers must not panic or hang on garbage).
FUZZTIME ?= 20s

# Where `make install` puts hotline: $(DESTDIR)$(PREFIX)/bin/hotline (deploy/hotline.service runs
# /usr/local/bin/hotline). Only hotline: bin/hotline-lab (make run, make bench-load) stays in the tree.
PREFIX ?= /usr/local

.PHONY: run test unit vet fmt-check fuzz sandbox-up sandbox-down build lab install web web-check journal-postgres

# -v lists each package as it is compiled: a first build (cold Go cache) compiles about 320 of
# them, SQLite's C code the longest, for 2-5 minutes; later builds take seconds and list nothing.
build:
	@echo "go build: bin/hotline (a first build takes 2-5 minutes, listing each package it compiles)"
	$(GO) build -v -o bin/hotline ./cmd/hotline

# The workplace's third-party front-end files (htmx and its SSE extension, docs/workplace.md): npm
# installs exactly what web/ui/package-lock.json pins, and web/ui/build.mjs copies the built files to
# web/static/vendor/, which the binary embeds. The output is committed, so a plain `go build` works
# without npm; `make web` remakes it, and `make web-check` (part of `make test`) fails when the
# committed files are not what the lockfile builds.
web:
	cd web/ui && npm ci --no-audit --no-fund && node build.mjs

web-check:
	cd web/ui && npm ci --no-audit --no-fund && node build.mjs --check

# hotline-lab: the demo and the load benchmark, with the SIP test phones hotline itself does not
# link. Built beside bin/hotline (its loadgen runs that one), never installed.
lab:
	$(GO) build -v -o bin/hotline-lab ./cmd/hotline-lab

install: build
	install -D -m 0755 bin/hotline $(DESTDIR)$(PREFIX)/bin/hotline
	@echo "installed $(DESTDIR)$(PREFIX)/bin/hotline"

sandbox-up:
	$(SANDBOX) up

sandbox-down:
	$(SANDBOX) down

# The main job: the sandbox Asterisk plus `hotline serve` in the foreground (Ctrl-C stops hotline;
# `make sandbox-down` stops Asterisk). The demo prints the workplace's address (web.listen,
# HOTLINE_WEB_LISTEN to move it).
run: build lab sandbox-up
	eval "$$($(SANDBOX) env)" && ./bin/hotline-lab demo

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Unit tests only: no Asterisk needed.
unit:
	$(GO) test -count=1 . ./config ./control ./web ./board ./report ./recording ./routing ./journal ./switchboard ./switchboard/amiadapter ./switchboard/kamailioadapter ./kamailio ./asteriskconf ./integration-tests/kamailiotest ./switchboard/journaladapter ./daemon ./daemon/timerslack ./daemon/procs ./cmd/hotline ./cmd/hotline-lab ./integration-tests/sipphone ./integration-tests/sandbox ./demo ./outbox ./outbox/spool ./termtext ./softphone
	$(MAKE) --no-print-directory journal-postgres

# The journal's suite again on PostgreSQL (docs/journal.md): the tests start their own server
# (Debian's postgresql package, on 127.0.0.1, in a temporary directory) and fail without one.
# With it, the report's sums made by the journal against the report computed in Go
# (docs/reports.md, Cost).
journal-postgres:
	HOTLINE_TEST_JOURNAL=postgres $(GO) test -count=1 -timeout 30m ./journal
	HOTLINE_TEST_JOURNAL=postgres $(GO) test -count=1 -timeout 10m -run 'TestReportSummedAsComputed' ./report

# Every Fuzz target of every package, FUZZTIME each; a failing target does not stop the others
# (each failure is named at the end, and the exit status is non-zero).
# Fuzzing runs on Go $(FUZZ_GO) (GOTOOLCHAIN: the go command takes it from the module proxy, 76 MB,
# once per machine): Go 1.26's fuzz coordinator fails a target that found nothing with "context
# deadline exceeded" at the FUZZTIME boundary now and then (go.dev/issue/75804, fixed in Go 1.27);
# the tests and the build stay on the machine's Go.
# The machine's cached corpus is cleared first: the engine replays all of it before fuzzing, within
# FUZZTIME, and a corpus grown by earlier runs on the machine made targets fail with "context
# deadline exceeded" before they fuzzed at all. Seeds and testdata/fuzz (committed findings) stay.
FUZZ_GO ?= go1.27.3
fuzz:
	@GOTOOLCHAIN=$(FUZZ_GO) $(GO) version
	@GOTOOLCHAIN=$(FUZZ_GO) $(GO) clean -fuzzcache
	@failed=""; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f ($(FUZZTIME))"; \
	    GOTOOLCHAIN=$(FUZZ_GO) $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || failed="$$failed $$pkg.$$f"; \
	  done; done; \
	if [ -n "$$failed" ]; then echo "fuzz: FAILED:$$failed (the failing inputs are in each package's testdata/fuzz/)"; exit 1; fi

# Everything: the sandbox (built on first use), vet, gofmt, every test (packages one at a time: the
# Asterisk-backed ones share one sandbox and some restart it), then bounded fuzzing.
# A failing package does not skip the fuzz phase: both run, and the exit status is non-zero if
# either failed. Each Asterisk-backed test process locks the sandbox instance it uses (a second
# run on the same instance fails at once: give it its own with HOTLINE_SANDBOX_INSTANCE=1..9).
test: sandbox-up vet fmt-check web-check
	@tests=0; fuzz=0; \
	eval "$$($(SANDBOX) env)" && $(GO) test -p 1 -count=1 -timeout 40m ./... || tests=$$?; \
	$(MAKE) --no-print-directory journal-postgres || tests=$$?; \
	$(MAKE) --no-print-directory fuzz || fuzz=$$?; \
	if [ $$tests != 0 ] || [ $$fuzz != 0 ]; then \
	  echo "make test: FAILED:$$([ $$tests != 0 ] && echo ' tests')$$([ $$fuzz != 0 ] && echo ' fuzz') (see above)"; exit 1; fi; \
	echo "make test: all passed"

# The load benchmark (issue 12): sudo make bench-load.
include bench.mk
