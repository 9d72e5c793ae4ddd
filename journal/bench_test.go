package journal_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

func benchStore(b *testing.B, path string) *journal.Store {
	b.Helper()
	s, err := journal.Open(context.Background(), path, journal.Options{Logger: testLog(b)})
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

// BenchmarkCallWrites files one call as the switchboard does: StartCall, then the leg saved when
// the caller joins the queue, when an operator answers and when the call ends (4 transactions,
// with history), each claiming its spool mark. cpu-ms/call is the process's CPU per call: what
// the daemon pays for the journal, fsync waits excluded.
func BenchmarkCallWrites(b *testing.B) {
	s := benchStore(b, filepath.Join(b.TempDir(), "bench.db"))
	ctx := context.Background()
	admin := hotline.Actor{Login: "admin", Role: hotline.RoleAdministrator}
	op := hotline.Operator{Name: "Anna", Login: "anna", Role: hotline.RoleOperator, Level: hotline.Level1, Extension: "1001"}
	if err := s.AddOperator(ctx, admin, &op); err != nil {
		b.Fatal(err)
	}
	var seq uint64
	write := func() context.Context {
		seq++
		return journal.WithWriteMark(ctx, journal.WriteMark{Spool: "bench", Seq: seq})
	}
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	cpu0 := processCPU()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		leg := hotline.Leg{CallID: fmt.Sprintf("bench-%d", i), ArrivedAt: at}
		if _, err := s.StartCall(write(), journal.CallStart{CallID: leg.CallID, CallerNumber: fmt.Sprintf("+7900%07d", i), ArrivedAt: at}); err != nil {
			b.Fatal(err)
		}
		leg.GreetingEndAt, leg.QueuedAt = at.Add(2*time.Second), at.Add(2*time.Second)
		if err := s.SaveCallLeg(write(), leg, ""); err != nil {
			b.Fatal(err)
		}
		leg.AnsweredAt, leg.OperatorID, leg.RecordingName = at.Add(9*time.Second), op.ID, "call-"+leg.CallID
		if err := s.SaveCallLeg(write(), leg, ""); err != nil {
			b.Fatal(err)
		}
		leg.EndedAt, leg.End = at.Add(time.Minute), hotline.LegCompleted
		if err := s.SaveCallLeg(write(), leg, hotline.OutcomeAnswered); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/call")
}

// processCPU is this process's user+system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkScaleCasePage runs the workplace journal's page (CasePage: the default active list,
// each filter, a name search, a case number, the next page) over the synthetic journal of
// $HOTLINE_SCALE_DB (`hotline-lab journal`, docs/benchmark.md); skipped without it, as the
// journal takes minutes to build.
func BenchmarkScaleCasePage(b *testing.B) {
	path := os.Getenv("HOTLINE_SCALE_DB")
	if path == "" {
		b.Skip("HOTLINE_SCALE_DB is unset: build one with hotline-lab journal (docs/benchmark.md)")
	}
	ctx := context.Background()
	s, err := journal.Open(ctx, path, journal.Options{ReadOnly: true, Logger: testLog(b)})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ops, err := s.Operators(ctx, journal.OperatorFilter{})
	if err != nil || len(ops) < 2 {
		b.Fatalf("operators: %d, %v", len(ops), err)
	}
	op := ops[len(ops)/2].ID
	month := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	first, err := s.CasePage(ctx, journal.CaseFilter{Active: true, Limit: 50})
	if err != nil || first.Next == nil {
		b.Fatalf("first page: %v", err)
	}
	for _, bm := range []struct {
		name string
		f    journal.CaseFilter
	}{
		{"active", journal.CaseFilter{Active: true}},
		{"all", journal.CaseFilter{}},
		{"next-page", journal.CaseFilter{Active: true, Before: first.Next}},
		{"operator", journal.CaseFilter{OperatorID: op}},
		{"operator+active", journal.CaseFilter{OperatorID: op, Active: true}},
		{"status", journal.CaseFilter{Statuses: []hotline.CaseStatus{hotline.StatusUnderReview}}},
		{"delayed", journal.CaseFilter{Statuses: []hotline.CaseStatus{hotline.StatusDelayedAnswer}}},
		{"month", journal.CaseFilter{From: month, To: month.AddDate(0, 1, 0)}},
		{"topic", journal.CaseFilter{Topic: "synthetic-07"}},
		{"type+month", journal.CaseFilter{Type: hotline.TypeComplaint, From: month, To: month.AddDate(0, 1, 0)}},
		{"caller", journal.CaseFilter{Caller: "+78650012345"}},
		{"text-name", journal.CaseFilter{Text: "Смирнов"}},
		{"text-rare", journal.CaseFilter{Text: "нет такого"}},
		{"case-number", journal.CaseFilter{Text: "2025-500000"}},
	} {
		b.Run(bm.name, func(b *testing.B) {
			bm.f.Limit = 50
			for b.Loop() {
				if _, err := s.CasePage(ctx, bm.f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCaseWritesBatch is the journal's part of the daemon's writer for case writes: the topic
// key opening a case for a call filed before (KeyTopic, with its write mark), 100 writes to a batch
// transaction as group commit applies them. cpu-µs/write is the process's CPU per write (the
// commit's fsync wait excluded), independent of the machine's other tenants.
//
//	go test ./journal -run '^$' -bench CaseWritesBatch -benchmem
func BenchmarkCaseWritesBatch(b *testing.B) {
	const batch = 100
	s := benchStore(b, filepath.Join(b.TempDir(), "bench.db"))
	ctx := context.Background()
	admin := hotline.Actor{Login: "admin", Role: hotline.RoleAdministrator}
	op := hotline.Operator{Name: "Anna", Login: "anna", Role: hotline.RoleOperator, Level: hotline.Level1, Extension: "1001"}
	if err := s.AddOperator(ctx, admin, &op); err != nil {
		b.Fatal(err)
	}
	if err := s.AddTopic(ctx, admin, hotline.Topic{Code: "policy", Number: 7, Type: hotline.TypeConsultation, Title: "Полис"}); err != nil {
		b.Fatal(err)
	}
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	var seq uint64
	inBatches := func(n int, write func(ctx context.Context, i int) error) {
		for i := 0; i < n; {
			bt, err := s.BeginBatch(ctx)
			if err != nil {
				b.Fatal(err)
			}
			for end := min(i+batch, n); i < end; i++ {
				seq++
				if err := write(journal.WithWriteMark(bt.Context(ctx), journal.WriteMark{Spool: "bench", Seq: seq}), i); err != nil {
					b.Fatal(err)
				}
			}
			if err := bt.Commit(); err != nil {
				b.Fatal(err)
			}
		}
	}
	inBatches(b.N, func(ctx context.Context, i int) error {
		_, err := s.StartCall(ctx, journal.CallStart{CallID: fmt.Sprintf("bench-%d", i), CallerNumber: fmt.Sprintf("+7900%07d", i), ArrivedAt: at})
		return err
	})
	cpu0 := processCPU()
	b.ResetTimer()
	inBatches(b.N, func(ctx context.Context, i int) error {
		_, err := s.KeyTopic(ctx, fmt.Sprintf("bench-%d", i), op.ID, 7)
		return err
	})
	b.StopTimer()
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/write")
}
