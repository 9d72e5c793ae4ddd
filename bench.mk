# bench.mk: the load benchmark of issues 12 and 23 (docs/benchmark.md), included from the Makefile.
#
#   sudo make bench-load                      # the sandbox, a build, then 3 interleaved pairs + capacity
#   sudo HOTLINE_SANDBOX_INSTANCE=5 make bench-load BENCH_FLAGS='--mode fixed --calls 100'
#   sudo make bench-soak SOAK=30m             # hotline alone: RSS, goroutines, fds at start and end; heap profiles in bench-soak-heap/
#
# Runs hotline (dial 100) and plain app_queue (dial 200) with the same calls on the same sandbox
# Asterisk, interleaved (hotline, app_queue, hotline...); prints every run, the medians and spread
# over the pairs, the ratios and PASS/FAIL against each target, and writes $(BENCH_JSON).
# Bounded: --max-level and --deadline.
.PHONY: bench-load bench-soak

BENCH_JSON ?= bench-load.json
BENCH_FLAGS ?= --mode both --pairs 3 --operators 20 --concurrency 100 --calls 300 --rate 10 --talk 5s \
	--start-level 100 --step 20 --interval 30s --max-level 300 --dispatch-limit 2s --deadline 90m
SOAK ?= 30m

bench-load: build lab sandbox-up
	eval "$$($(SANDBOX) env)" && ./bin/hotline-lab loadgen $(BENCH_FLAGS) --json $(BENCH_JSON)

bench-soak: build lab sandbox-up
	eval "$$($(SANDBOX) env)" && ./bin/hotline-lab loadgen --mode soak --systems hotline --soak $(SOAK) \
		--operators 20 --concurrency 100 --rate 10 --talk 5s --deadline 3h --json bench-soak.json --heap-profiles bench-soak-heap
