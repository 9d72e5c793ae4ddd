package journal_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

func benchStore(b *testing.B, path string) *journal.Store {
	b.Helper()
	s, err := journal.Open(context.Background(), path, journal.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.Migrate(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkNewCase registers cases one by one: one transaction and one WAL fsync each.
func BenchmarkNewCase(b *testing.B) {
	s := benchStore(b, filepath.Join(b.TempDir(), "bench.db"))
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		c := hotline.Case{Channel: hotline.ChannelPhone, CallerNumber: "+78652000000", Description: "one by one"}
		if err := s.NewCase(ctx, hotline.SystemActor, &c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cases/s")
}

// BenchmarkCreateCasesBatch registers cases 100 to a transaction: one fsync per hundred.
func BenchmarkCreateCasesBatch(b *testing.B) {
	const batch = 100
	s := benchStore(b, filepath.Join(b.TempDir(), "bench.db"))
	ctx := context.Background()
	cs := make([]hotline.Case, batch)
	b.ResetTimer()
	for b.Loop() {
		for i := range cs {
			cs[i] = hotline.Case{Channel: hotline.ChannelPhone, CallerNumber: "+78652000000", Description: "batched"}
		}
		if err := s.CreateCases(ctx, hotline.SystemActor, cs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "cases/s")
}

// BenchmarkList1M runs the list filters over 1,000,000 cases. The database is built once per run
// in a temp dir, or reused from $HOTLINE_BENCH_DB if that file exists (it is created there
// otherwise, to be reused next time).
func BenchmarkList1M(b *testing.B) {
	const n = 1_000_000
	ctx := context.Background()
	path := os.Getenv("HOTLINE_BENCH_DB")
	if path == "" {
		path = filepath.Join(b.TempDir(), "bench-1m.db")
	}
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	s := benchStore(b, path)
	if total, err := s.CountCases(ctx, journal.CaseFilter{}); err != nil {
		b.Fatal(err)
	} else if total < n {
		start := time.Now()
		if err := s.BulkLoadForBench(ctx, n, from); err != nil {
			b.Fatal(err)
		}
		b.Logf("built %d cases in %v", n, time.Since(start).Round(time.Millisecond))
	}
	week := journal.CaseFilter{From: from.AddDate(0, 6, 0), To: from.AddDate(0, 6, 7)}
	month := journal.CaseFilter{From: from.AddDate(0, 3, 0), To: from.AddDate(0, 4, 0)}
	for _, bm := range []struct {
		name string
		f    journal.CaseFilter
	}{
		{"newest", journal.CaseFilter{}},
		{"status", journal.CaseFilter{Statuses: []hotline.CaseStatus{hotline.StatusUnderReview}}},
		{"week", week},
		{"week+status", journal.CaseFilter{From: week.From, To: week.To, Statuses: []hotline.CaseStatus{hotline.StatusDelayedAnswer}}},
		{"operator+open", journal.CaseFilter{OperatorID: 1007, Statuses: []hotline.CaseStatus{hotline.StatusInProgress, hotline.StatusDelayedAnswer}}},
		{"topic+month", journal.CaseFilter{Topic: "topic-7", From: month.From, To: month.To}},
		{"type+month", journal.CaseFilter{Type: hotline.TypeComplaint, From: month.From, To: month.To}},
		{"caller", journal.CaseFilter{Caller: "+78651007919"}},
		{"page-100", journal.CaseFilter{Statuses: []hotline.CaseStatus{hotline.StatusApproved}, Offset: 10000}},
	} {
		b.Run(bm.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := s.Cases(ctx, bm.f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("count-month", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.CountCases(ctx, month); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("caller-open-cases", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.CallerOpenCases(ctx, "+78651007919"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
