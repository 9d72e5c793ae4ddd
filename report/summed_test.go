package report

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/journal/pgtest"
)

// The report's tests of what the journal sums (TestReportSummedAsComputed) run on SQLite, or on
// PostgreSQL when HOTLINE_TEST_JOURNAL=postgres (`make journal-postgres` runs them so, with the
// journal's suite): the statement must mean the same on both engines.
var testPG *pgtest.Cluster

func TestMain(m *testing.M) {
	switch os.Getenv("HOTLINE_TEST_JOURNAL") {
	case "", "sqlite":
		os.Exit(m.Run())
	case "postgres":
	default:
		fmt.Fprintln(os.Stderr, "HOTLINE_TEST_JOURNAL: want sqlite or postgres")
		os.Exit(2)
	}
	c, err := pgtest.Start(context.Background())
	if err != nil { // asked for PostgreSQL, a missing one fails the run
		fmt.Fprintf(os.Stderr, "the report's tests on PostgreSQL: %v\n", err)
		os.Exit(1)
	}
	testPG = c
	code := m.Run()
	if err := c.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "stop the test PostgreSQL: %v\n", err)
	}
	os.Exit(code)
}

// testJournal opens a new, migrated journal on the run's engine.
func testJournal(t *testing.T) *journal.Store {
	t.Helper()
	ctx := context.Background()
	addr := filepath.Join(t.TempDir(), "hotline.db")
	if testPG != nil {
		var err error
		if addr, err = testPG.NewDatabase(ctx); err != nil {
			t.Fatal(err)
		}
	}
	st, err := journal.Open(ctx, addr, journal.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

// handMadeJournal writes testCalls' legs (report_test.go's day: answers and wrap-ups cut short,
// a transfer, short and long abandons, one in the greeting, an overflow, a failure, a caller still
// waiting, a call the evening before and one just after midnight) through the call flow's own
// writes, for operators with no presence history (their staffed time is the observed span).
func handMadeJournal(t *testing.T) *journal.Store {
	t.Helper()
	ctx := context.Background()
	st := testJournal(t)
	boot, err := st.Actor(ctx, "root")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[int64]int64{}
	for _, n := range []int64{anna, boris, vera} {
		op := hotline.Operator{Name: fmt.Sprintf("Оператор %d", n), Login: fmt.Sprintf("op%d", n), Role: hotline.RoleOperator, Level: 1, Extension: fmt.Sprintf("10%02d", n)}
		if err := st.AddOperator(ctx, boot, &op); err != nil {
			t.Fatal(err)
		}
		ids[n] = op.ID
	}
	started := map[string]bool{}
	for _, c := range testCalls() {
		l := c.Leg
		l.ID, l.OperatorID, l.TransferredFrom = 0, ids[l.OperatorID], ids[l.TransferredFrom]
		if !started[l.CallID] {
			started[l.CallID] = true
			if _, err := st.StartCall(ctx, journal.CallStart{CallID: l.CallID, CallerNumber: l.CallerNumber, Line: "100", ArrivedAt: l.ArrivedAt}); err != nil {
				t.Fatal(err)
			}
		}
		var outcome hotline.CallOutcome
		if l.EndsCall() {
			outcome = hotline.OutcomeOf([]hotline.Leg{l}, false)
		}
		if err := st.SaveCallLeg(ctx, l, outcome); err != nil {
			t.Fatalf("leg %s: %v", l.CallID, err)
		}
	}
	return st
}

// syntheticJournal is two months of a small hotline (journal.GenerateSynthetic): topics,
// transfers, unanswered rings, callbacks and presence spans, on working days of 06:00–15:00 UTC
// that cross local midnight in the zones the test uses.
func syntheticJournal(t *testing.T, to time.Time) *journal.Store {
	t.Helper()
	st := testJournal(t)
	if _, err := st.GenerateSynthetic(context.Background(), journal.SyntheticOptions{Cases: 3000, From: to.AddDate(0, -2, 0), To: to, Operators: 5}); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestReportSummedAsComputed: Source.Report, which counts the legs as they stream by
// (journal.EachReportLeg, wrapStream), and the report whose call figures the journal sums
// (journal.LegSums, Source.summed) make the report Compute makes from the legs themselves (Load's slices,
// each leg counted in Go), to the byte of its JSON: on a synthetic journal and on a hand-made
// day of edge cases, for days, weeks and months, in zones with and without summer time, with a
// half-hour and a quarter-hour offset, where the working day crosses local midnight; with
// wrap-ups none, cut short, of a fraction of a millisecond and of half an hour; with
// thresholds that are not whole milliseconds. And on the hand-made day without presence
// history, the observed working spans, which presence otherwise replaces in the report.
func TestReportSummedAsComputed(t *testing.T) {
	ctx := context.Background()
	zone := func(name string) *time.Location {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}
	utc, berlin, la, kolkata, kathmandu := time.UTC, zone("Europe/Berlin"), zone("America/Los_Angeles"), zone("Asia/Kolkata"), zone("Asia/Kathmandu")
	odd := []time.Duration{20*time.Second + 500*time.Microsecond, 90 * time.Second, 15 * time.Millisecond}
	to := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	type tc struct {
		name   string
		from   time.Time
		to     time.Time
		loc    *time.Location
		period Period
		wrap   time.Duration
		sl     []time.Duration
		short  time.Duration
	}
	day := func(loc *time.Location) (time.Time, time.Time) {
		return time.Date(2026, 11, 23, 0, 0, 0, 0, loc), time.Date(2026, 11, 24, 0, 0, 0, 0, loc)
	}
	for _, j := range []struct {
		name  string
		open  func(*testing.T) *journal.Store
		cases func() []tc
	}{
		{"synthetic", func(t *testing.T) *journal.Store { return syntheticJournal(t, to) }, func() []tc {
			return []tc{
				{"day", to.AddDate(0, 0, -12), to.AddDate(0, 0, -11), utc, Day, 10 * time.Second, nil, 0},
				{"month", to.AddDate(0, -1, 0), to, utc, Day, 5 * time.Minute, nil, 0},
				{"whole by month", to.AddDate(0, -2, 0), to, utc, Month, 30 * time.Minute, nil, 0},
				{"whole by week, Los Angeles (summer time ends 1 November)", time.Date(2026, 10, 1, 0, 0, 0, 0, la), time.Date(2026, 12, 1, 0, 0, 0, 0, la), la, Week, 10 * time.Second, nil, 0},
				{"month by day, Berlin (summer time ends 25 October)", time.Date(2026, 10, 1, 0, 0, 0, 0, berlin), time.Date(2026, 11, 1, 0, 0, 0, 0, berlin), berlin, Day, 45 * time.Second, odd, 5*time.Second + time.Microsecond},
				{"Kolkata, no wrap-up", time.Date(2026, 10, 15, 0, 0, 0, 0, kolkata), time.Date(2026, 11, 15, 0, 0, 0, 0, kolkata), kolkata, Day, 0, nil, 0},
				{"Kathmandu, a wrap-up of 1.5 ms", time.Date(2026, 11, 1, 0, 0, 0, 0, kathmandu), time.Date(2026, 11, 30, 0, 0, 0, 0, kathmandu), kathmandu, Week, 1500 * time.Microsecond, odd, 3 * time.Second},
			}
		}},
		{"hand-made day", handMadeJournal, func() []tc {
			var out []tc
			for _, loc := range []*time.Location{utc, zone("Europe/Moscow"), la, kathmandu} {
				f, e := day(loc)
				out = append(out,
					tc{"day " + loc.String(), f, e, loc, Day, 10 * time.Second, nil, 0},
					tc{"two days by week " + loc.String(), f.AddDate(0, 0, -1), e.AddDate(0, 0, 1), loc, Week, 2 * time.Minute, odd, 0},
					tc{"month " + loc.String(), time.Date(2026, 11, 1, 0, 0, 0, 0, loc), time.Date(2026, 12, 1, 0, 0, 0, 0, loc), loc, Month, 1500 * time.Microsecond, nil, 3*time.Second + 1},
				)
			}
			return out
		}},
	} {
		t.Run(j.name, func(t *testing.T) {
			st := j.open(t)
			src := FromStore(st)
			now := to.Add(time.Hour)
			for _, c := range j.cases() {
				t.Run(c.name, func(t *testing.T) {
					o := Options{From: c.from, To: c.to, Location: c.loc, Period: c.period, WrapUp: c.wrap, SLTargets: c.sl, ShortAbandon: c.short}
					od, err := o.withDefaults(now)
					if err != nil {
						t.Fatal(err)
					}
					d, err := src.Load(ctx, c.from, c.to, od.AsOf)
					if err != nil {
						t.Fatal(err)
					}
					want, err := Compute(d, o, now)
					if err != nil {
						t.Fatal(err)
					}
					got, err := src.Report(ctx, o, now)
					if err != nil {
						t.Fatal(err)
					}
					if want.Total.Offered == 0 || want.Total.Handled == 0 {
						t.Fatalf("the range has no calls (%+v): the comparison proves nothing", want.Total)
					}
					sameReport(t, got, want)

					// Without presence: the observed working spans (and occupancy from them).
					d.Presence = nil
					want, err = Compute(d, o, now)
					if err != nil {
						t.Fatal(err)
					}
					got, err = src.summed(ctx, d, o, now)
					if err != nil {
						t.Fatal(err)
					}
					streamed, err := src.streamed(ctx, &d, o, now, nil)
					if err != nil {
						t.Fatal(err)
					}
					sameReport(t, streamed, want)
					spans := 0
					for _, op := range want.Operators {
						if op.StaffedFrom == StaffedFromObservedSpan {
							spans++
						}
					}
					if spans == 0 {
						t.Fatal("no operator's staffed time is an observed span: the comparison proves nothing")
					}
					sameReport(t, got, want)
				})
			}
		})
	}
}

func sameReport(t *testing.T, got, want *Report) {
	t.Helper()
	wj, _ := json.Marshal(want)
	gj, _ := json.Marshal(got)
	if string(wj) != string(gj) {
		i := firstDiff(string(wj), string(gj))
		lo := max(i-300, 0)
		t.Errorf("the summed report differs from the computed one at byte %d:\n got …%.600s\nwant …%.600s", i, gj[lo:], wj[lo:])
	}
}

// TestReportClockSteppedBack: a leg answered before it arrived (the clock stepped back between the
// two writes) stops the stream's one pass (wrapStream); Source.Report then gives the report the
// journal's sums make, which is still Compute's, on both engines.
func TestReportClockSteppedBack(t *testing.T) {
	ctx := context.Background()
	st := handMadeJournal(t)
	ops, err := st.Operators(ctx, journal.OperatorFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var annaID int64
	for _, op := range ops {
		if op.Login == fmt.Sprintf("op%d", anna) {
			annaID = op.ID
		}
	}
	if annaID == 0 {
		t.Fatalf("no operator op%d among %v", anna, ops)
	}
	// Between anna's calls c1 (answered 09:00:25, ended 09:05:25) and c6: answered 09:06:00,
	// so it cuts c1's wrap-up, though written as arriving at 09:06:30.
	arrived := at(23, 9, 6, 30)
	if _, err := st.StartCall(ctx, journal.CallStart{CallID: "stepped", CallerNumber: "+79001112233", Line: "100", ArrivedAt: arrived}); err != nil {
		t.Fatal(err)
	}
	l := hotline.Leg{CallID: "stepped", OperatorID: annaID, ArrivedAt: arrived, QueuedAt: arrived,
		AnsweredAt: at(23, 9, 6, 0), EndedAt: at(23, 9, 8, 0), End: hotline.LegCompleted}
	if err := st.SaveCallLeg(ctx, l, hotline.OutcomeOf([]hotline.Leg{l}, false)); err != nil {
		t.Fatal(err)
	}
	from, to := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	w := &wrapStream{wrap: 2 * time.Minute, out: func(Call, time.Duration) {}}
	err = st.EachReportLeg(ctx, from, to, func(l journal.ReportLeg) error { return w.push(Call{Leg: l.Leg}) })
	if err != errAnsweredBeforeArrival {
		t.Fatalf("streaming the day: %v, want errAnsweredBeforeArrival", err)
	}
	src := FromStore(st)
	now := to.Add(time.Hour)
	o := Options{From: from, To: to, Location: time.UTC, Period: Day, WrapUp: 2 * time.Minute}
	d, err := src.Load(ctx, from, to, to)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Compute(d, o, now)
	if err != nil {
		t.Fatal(err)
	}
	got, err := src.Report(ctx, o, now)
	if err != nil {
		t.Fatal(err)
	}
	sameReport(t, got, want)
}
