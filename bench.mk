# bench.mk: the load benchmark of issue 12 (docs/benchmark.md), included from the Makefile.
#
#   sudo make bench-load                      # the sandbox, a build, then both systems, fixed + capacity
#   sudo HOTLINE_SANDBOX_INSTANCE=5 make bench-load BENCH_FLAGS='--mode fixed --calls 100'
#
# Runs hotline (dial 100) and plain app_queue (dial 200) with the same calls on the same sandbox
# Asterisk; prints a table and writes $(BENCH_JSON). Bounded: --max-level and --deadline.
.PHONY: bench-load

BENCH_JSON ?= bench-load.json
BENCH_FLAGS ?= --mode both --operators 20 --concurrency 100 --calls 300 --rate 10 --talk 5s \
	--start-level 10 --step 10 --interval 30s --max-level 300 --deadline 90m

bench-load: build lab sandbox-up
	eval "$$($(SANDBOX) env)" && ./bin/hotline-lab loadgen $(BENCH_FLAGS) --json $(BENCH_JSON)
