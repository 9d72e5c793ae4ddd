package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline-dev/hotline/journal"
)

// The journal at a fund's scale (issue 23): whole commands, as a user runs them, over a synthetic
// journal (journal.GenerateSynthetic). $HOTLINE_SCALE_DB names a journal made by
// `hotline-lab journal` (1,000,000 cases over three years: docs/benchmark.md); without it, one of
// $HOTLINE_SCALE_CASES cases (default 20,000) over the same three years is built in a temp dir.
// Each benchmark reports peak-heap-MB: the largest Go heap seen while the command ran.
//
//	HOTLINE_SCALE_DB=/work/scale-data/journal.db go test ./cmd/hotline -run '^$' -bench Scale -benchtime 3x

// scaleDB is the journal the scale benchmarks read, with an operator login that owns cases.
func scaleDB(b *testing.B) string {
	b.Helper()
	b.Setenv("HOTLINE_API_SOCKET", filepath.Join(b.TempDir(), "no-daemon.sock"))
	if p := os.Getenv("HOTLINE_SCALE_DB"); p != "" {
		return p
	}
	n := 20_000
	if v := os.Getenv("HOTLINE_SCALE_CASES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatalf("HOTLINE_SCALE_CASES=%q: %v", v, err)
		}
	}
	path := filepath.Join(b.TempDir(), "scale.db")
	ctx := context.Background()
	s, err := journal.Open(ctx, path, journal.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := s.GenerateSynthetic(ctx, journal.SyntheticOptions{Cases: n}); err != nil {
		b.Fatal(err)
	}
	return path
}

// runWhole runs one command line in-process per iteration, its output discarded, and reports
// the peak heap.
func runWhole(b *testing.B, db string, args ...string) {
	b.Helper()
	var peak uint64
	var mu sync.Mutex
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // sample the heap while the commands run
		defer close(done)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				runtime.ReadMemStats(&ms)
				mu.Lock()
				peak = max(peak, ms.HeapAlloc)
				mu.Unlock()
			}
		}
	}()
	runtime.GC()
	b.ResetTimer()
	for b.Loop() {
		var errb strings.Builder
		if code := run(context.Background(), append([]string{"--db", db}, args...), io.Discard, &errb); code != 0 {
			b.Fatalf("hotline %s: exit %d: %s", strings.Join(args, " "), code, errb.String())
		}
	}
	b.StopTimer()
	close(stop)
	<-done
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// The synthetic journal's range ends 2026-12-01 (journal.SyntheticOptions).
func BenchmarkScaleReport(b *testing.B) {
	db := scaleDB(b)
	for _, bm := range []struct{ name, from, to string }{
		{"day", "2026-11-10", "2026-11-10"},
		{"month", "2026-10-01", "2026-10-31"},
		{"whole-range", "2023-12-01", "2026-11-30"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			period := "day"
			if bm.name == "whole-range" {
				period = "month"
			}
			runWhole(b, db, "report", "--from", bm.from, "--to", bm.to, "--tz", "UTC", "--period", period, "-o", "json")
		})
	}
}

func BenchmarkScaleCaseList(b *testing.B) {
	db := scaleDB(b)
	for _, bm := range []struct {
		name string
		args []string
	}{
		{"newest", nil},
		{"operator", []string{"--operator", "synth007"}},
		{"operator+status", []string{"--operator", "synth007", "--status", "in_progress,delayed_answer"}},
		{"status", []string{"--status", "under_review"}},
		{"month", []string{"--from", "2026-10-01", "--to", "2026-10-31"}},
		{"topic+month", []string{"--topic", "synthetic-07", "--from", "2026-10-01", "--to", "2026-10-31"}},
		{"type", []string{"--type", "complaint"}},
		{"caller", []string{"--caller", "+78650012345"}},
		{"page-100", []string{"--status", "approved", "--offset", "9900"}},
	} {
		b.Run(bm.name, func(b *testing.B) {
			runWhole(b, db, append([]string{"case", "list", "-o", "json"}, bm.args...)...)
		})
	}
}

func BenchmarkScaleExport(b *testing.B) {
	db := scaleDB(b)
	for _, kind := range []string{"queue-log", "cdr"} {
		b.Run(kind, func(b *testing.B) {
			out := filepath.Join(b.TempDir(), kind)
			runWhole(b, db, "export", kind, "-f", out)
			if st, err := os.Stat(out); err != nil || st.Size() == 0 {
				b.Fatalf("export %s wrote nothing: %v", kind, err)
			}
		})
	}
}

func BenchmarkScaleDB(b *testing.B) {
	db := scaleDB(b)
	b.Run("check", func(b *testing.B) { runWhole(b, db, "db", "check") })
	b.Run("backup", func(b *testing.B) {
		dir := b.TempDir()
		var i int
		for b.Loop() {
			i++
			out := filepath.Join(dir, fmt.Sprintf("backup-%d.db", i))
			var errb strings.Builder
			if code := run(context.Background(), []string{"--db", db, "db", "backup", out}, io.Discard, &errb); code != 0 {
				b.Fatalf("db backup: exit %d: %s", code, errb.String())
			}
			os.Remove(out)
		}
	})
}
