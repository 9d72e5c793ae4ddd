package report

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
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
				if err := w.push(c); err != nil {
					t.Fatal(err)
				}
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

// TestReportLegAnsweredBeforeArrival: a journal with a leg answered before it arrived (a clock
// stepped back between the two) cannot be streamed in one pass (wrapStream says so); the report
// is then the one the journal's sums make, still Compute's.
func TestReportLegAnsweredBeforeArrival(t *testing.T) {
	w := &wrapStream{wrap: time.Minute, out: func(Call, time.Duration) {}}
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	if err := w.push(Call{Leg: hotline.Leg{ID: 1, OperatorID: 1, ArrivedAt: at, AnsweredAt: at.Add(-time.Second)}}); err != errAnsweredBeforeArrival {
		t.Fatalf("push of a leg answered before it arrived: %v, want errAnsweredBeforeArrival", err)
	}
}
