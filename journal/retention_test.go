package journal_test

import (
	"context"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// Recordings past the retention period are listed oldest first; once deleted, the leg stops naming
// the recording and the case's history says so; newer recordings and unended legs are never listed.
func TestRecordingRetention(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	base := f.clk.Now()
	call := func(id string, ended time.Duration, rec string) {
		t.Helper()
		if _, err := f.s.StartCall(ctx, journal.CallStart{CallID: id, CallerNumber: "+78652000009", ArrivedAt: base}); err != nil {
			t.Fatal(err)
		}
		leg := hotline.Leg{CallID: id, ArrivedAt: base, RecordingName: rec, OperatorID: f.op1.OperatorID, AnsweredAt: base}
		var outcome hotline.CallOutcome
		if ended > 0 {
			leg.EndedAt, leg.End, outcome = base.Add(ended), hotline.LegCompleted, hotline.OutcomeAnswered
		}
		if err := f.s.SaveCallLeg(ctx, leg, outcome); err != nil {
			t.Fatal(err)
		}
	}
	call("old-2", 2*time.Minute, "call-old-2")
	call("old-1", time.Minute, "call-old-1")
	call("new", 3*time.Hour, "call-new")
	call("live", 0, "call-live")        // still talking: never expired
	call("unrecorded", time.Minute, "") // nothing to delete
	registered, err := f.s.KeyTopic(ctx, "old-1", f.op1.OperatorID, 11)
	if err != nil {
		t.Fatal(err)
	}

	got, err := f.s.ExpiredRecordings(ctx, base.Add(time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "call-old-1" || got[1].Name != "call-old-2" {
		t.Fatalf("expired = %+v, want call-old-1 then call-old-2", got)
	}
	if got[0].CallID != "old-1" {
		t.Fatalf("expired recording names call %q, want old-1", got[0].CallID)
	}
	if err := f.s.RecordingDeleted(ctx, got[0], "retention 1h"); err != nil {
		t.Fatal(err)
	}
	if err := f.s.RecordingDeleted(ctx, got[0], "retention 1h"); err != nil { // twice: a no-op
		t.Fatal(err)
	}
	again, err := f.s.ExpiredRecordings(ctx, base.Add(time.Hour), 10)
	if err != nil || len(again) != 1 || again[0].Name != "call-old-2" {
		t.Fatalf("after one deletion expired = %+v (%v), want only call-old-2", again, err)
	}
	// The call's history says so once, and so does the history of the case it was registered under.
	for _, hf := range []journal.HistoryFilter{{Entity: "call", EntityID: "old-1"}, {CaseID: registered.ID}} {
		evs, err := f.s.History(ctx, hf)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range evs {
			if e.Action == "recording deleted" {
				n++
				if len(e.Changes) == 0 || e.Changes[0].From != "call-old-1" {
					t.Errorf("event %+v does not name the recording", e)
				}
			}
		}
		if n != 1 {
			t.Errorf("%+v: %d 'recording deleted' history events, want exactly 1: %+v", hf, n, evs)
		}
	}
	if legs, err := f.s.Legs(ctx, "old-1"); err != nil || len(legs) != 1 || legs[0].RecordingName != "" {
		t.Errorf("the leg still names its deleted recording: %+v %v", legs, err)
	}
}
