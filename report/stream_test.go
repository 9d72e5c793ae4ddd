package report

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// TestWrapStreamAsWrapUps: the streamed wrap-ups (legs in order of arrival, each held only until
// its wrap-up is decided) are those wrapUps gives the whole slice, legs given out in the order
// they came, on crowded random days where operators' answers follow each other within the
// wrap-up, transfers answer before earlier arrivals, and some legs never end.
func TestWrapStreamAsWrapUps(t *testing.T) {
	for seed := uint64(1); seed <= 40; seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		base := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
		var calls []Call
		arrived := base
		for i := range 300 {
			arrived = arrived.Add(time.Duration(r.IntN(20_000)) * time.Millisecond)
			c := Call{Leg: hotline.Leg{ID: int64(i + 1), ArrivedAt: arrived}}
			if r.IntN(5) > 0 {
				c.OperatorID = int64(1 + r.IntN(4))
				c.AnsweredAt = arrived.Add(time.Duration(r.IntN(120_000)) * time.Millisecond)
				if r.IntN(10) > 0 {
					c.EndedAt = c.AnsweredAt.Add(time.Duration(r.IntN(90_000)) * time.Millisecond)
				}
			} else if r.IntN(2) == 0 {
				c.EndedAt = arrived.Add(time.Duration(r.IntN(60_000)) * time.Millisecond)
			}
			calls = append(calls, c)
		}
		for _, wrap := range []time.Duration{0, 10 * time.Second, 45 * time.Second} {
			want := wrapUps(calls, wrap)
			var got []time.Duration
			var order []int64
			w := &wrapStream{wrap: wrap, out: func(c Call, d time.Duration) {
				order = append(order, c.ID)
				got = append(got, d)
			}}
			for _, c := range calls {
				w.push(c)
			}
			w.flush(time.Time{})
			if len(got) != len(calls) {
				t.Fatalf("seed %d wrap %v: %d legs out of %d", seed, wrap, len(got), len(calls))
			}
			for i := range calls {
				if order[i] != calls[i].ID {
					t.Fatalf("seed %d wrap %v: leg %d given out as #%d; want the order they came in", seed, wrap, order[i], i)
				}
				if got[i] != want[i] {
					t.Errorf("seed %d wrap %v: leg %d wrap-up %v; wrapUps gives %v", seed, wrap, calls[i].ID, got[i], want[i])
				}
			}
		}
	}
}

// TestReportStreamedAsComputed: Source.Report, which reads the calls one at a time, makes the
// report Compute makes from Load's slices, on a synthetic journal (journal.GenerateSynthetic),
// for a day, a month and the whole range, with wrap-ups long enough to be cut short.
func TestReportStreamedAsComputed(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hotline.db")
	st, err := journal.Open(ctx, path, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	to := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	if _, err := st.GenerateSynthetic(ctx, journal.SyntheticOptions{Cases: 4000, From: to.AddDate(0, -2, 0), To: to, Operators: 5}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	src, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	now := to.Add(time.Hour)
	for _, tc := range []struct {
		name     string
		from, to time.Time
		wrap     time.Duration
	}{
		{"day", to.AddDate(0, 0, -12), to.AddDate(0, 0, -11), 10 * time.Second},
		{"month", to.AddDate(0, -1, 0), to, 5 * time.Minute},
		{"whole", to.AddDate(0, -2, 0), to, 30 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := Options{From: tc.from, To: tc.to, WrapUp: tc.wrap}
			d, err := src.Load(ctx, tc.from, tc.to, tc.to)
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
			if want.Total.Offered == 0 || want.Total.WrapSeconds == 0 || want.Callbacks.Requested == 0 {
				t.Fatalf("the range has no calls, wrap-ups or callbacks (%+v): the comparison proves nothing", want.Total)
			}
			wj, _ := json.Marshal(want)
			gj, _ := json.Marshal(got)
			if string(wj) != string(gj) {
				t.Errorf("streamed report differs from the computed one:\n got %.600s\nwant %.600s", gj, wj)
			}
		})
	}
}
