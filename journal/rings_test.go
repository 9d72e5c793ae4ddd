package journal_test

import (
	"context"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// A ring attempt is filed on the call's newest leg when recorded, and read back with the legs of
// the range it is read for; a bad one is refused and writes nothing.
func TestRingAttempts(t *testing.T) {
	ctx, f := context.Background(), newFixture(t)
	at := f.clk.Now().Truncate(time.Millisecond)
	if _, err := f.s.StartCall(ctx, journal.CallStart{CallID: "ch-1", CallerNumber: "+78652000005", ArrivedAt: at}); err != nil {
		t.Fatal(err)
	}
	first := hotline.RingAttempt{CallID: "ch-1", OperatorID: f.op1.OperatorID, RangAt: at.Add(5 * time.Second),
		StoppedAt: at.Add(20 * time.Second), Why: hotline.RingTimedOut}
	if err := f.s.RecordRingAttempt(ctx, first); err != nil {
		t.Fatal(err)
	}
	// Answered by op2, then transferred back to the queue: a second leg, which rings op1 again
	// until the caller hangs up.
	if err := f.s.SaveCallLeg(ctx, hotline.Leg{CallID: "ch-1", ArrivedAt: at, QueuedAt: at.Add(3 * time.Second),
		AnsweredAt: at.Add(30 * time.Second), EndedAt: at.Add(time.Minute), End: hotline.LegTransferred,
		OperatorID: f.op2.OperatorID}, ""); err != nil {
		t.Fatal(err)
	}
	if err := f.s.SaveCallLeg(ctx, hotline.Leg{CallID: "ch-1", ArrivedAt: at.Add(time.Minute), QueuedAt: at.Add(time.Minute),
		TransferredFrom: f.op2.OperatorID}, ""); err != nil {
		t.Fatal(err)
	}
	second := hotline.RingAttempt{CallID: "ch-1", OperatorID: f.op1.OperatorID, RangAt: at.Add(61 * time.Second),
		StoppedAt: at.Add(63*time.Second + 250*time.Millisecond), Why: hotline.RingCallerGone}
	if err := f.s.RecordRingAttempt(ctx, second); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []hotline.RingAttempt{
		{CallID: "no-such-call", OperatorID: f.op1.OperatorID, RangAt: at, StoppedAt: at, Why: hotline.RingDeclined},
		{CallID: "ch-1", OperatorID: 9999, RangAt: at, StoppedAt: at, Why: hotline.RingDeclined},
		{CallID: "ch-1", OperatorID: f.op1.OperatorID, RangAt: at, StoppedAt: at.Add(-time.Second), Why: hotline.RingDeclined},
		{CallID: "ch-1", OperatorID: f.op1.OperatorID, RangAt: at, StoppedAt: at, Why: "bored"},
	} {
		if err := f.s.RecordRingAttempt(ctx, bad); err == nil {
			t.Errorf("RecordRingAttempt(%+v) = nil, want an error", bad)
		}
	}

	legs, err := f.s.Legs(ctx, "ch-1")
	if err != nil || len(legs) != 2 {
		t.Fatalf("legs of ch-1: %v, %v; want two", legs, err)
	}
	got, err := f.s.RingAttempts(ctx, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	first.LegID, second.LegID = legs[0].ID, legs[1].ID
	want := []hotline.RingAttempt{first, second}
	if len(got) != len(want) {
		t.Fatalf("RingAttempts = %+v, want %+v", got, want)
	}
	for i := range want {
		if g, w := got[i], want[i]; g.LegID != w.LegID || g.CallID != w.CallID || g.OperatorID != w.OperatorID ||
			!g.RangAt.Equal(w.RangAt) || !g.StoppedAt.Equal(w.StoppedAt) || g.Why != w.Why {
			t.Errorf("ring attempt %d = %+v, want %+v", i, g, w)
		}
	}
	// A range takes the attempts of the legs that arrived in it: the second leg's only.
	got, err = f.s.RingAttempts(ctx, at.Add(30*time.Second), at.Add(2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].LegID != second.LegID {
		t.Errorf("RingAttempts of [30 s, 2 min) = %+v, want the second leg's one", got)
	}
}

// A leg ended by a consultation (attended) transfer keeps the consultation's bridge; the next leg,
// and a blind transfer's, none.
func TestTransferBridgeKept(t *testing.T) {
	ctx, f := context.Background(), newFixture(t)
	at := f.clk.Now().Truncate(time.Millisecond)
	if _, err := f.s.StartCall(ctx, journal.CallStart{CallID: "ch-1", CallerNumber: "+78652000005", ArrivedAt: at}); err != nil {
		t.Fatal(err)
	}
	if err := f.s.SaveCallLeg(ctx, hotline.Leg{CallID: "ch-1", ArrivedAt: at, QueuedAt: at.Add(3 * time.Second),
		AnsweredAt: at.Add(10 * time.Second), EndedAt: at.Add(time.Minute), End: hotline.LegTransferred,
		OperatorID: f.op1.OperatorID, TransferBridge: "consult-7-bridge"}, ""); err != nil {
		t.Fatal(err)
	}
	if err := f.s.SaveCallLeg(ctx, hotline.Leg{CallID: "ch-1", ArrivedAt: at.Add(time.Minute), AnsweredAt: at.Add(time.Minute),
		EndedAt: at.Add(2 * time.Minute), End: hotline.LegCompleted, OperatorID: f.op2.OperatorID, TransferredFrom: f.op1.OperatorID},
		hotline.OutcomeAnswered); err != nil {
		t.Fatal(err)
	}
	legs, err := f.s.Legs(ctx, "ch-1")
	if err != nil || len(legs) != 2 {
		t.Fatalf("legs of ch-1: %v, %v; want two", legs, err)
	}
	if legs[0].TransferBridge != "consult-7-bridge" || legs[1].TransferBridge != "" {
		t.Errorf("transfer bridges = %q, %q; want consult-7-bridge, none", legs[0].TransferBridge, legs[1].TransferBridge)
	}
}
