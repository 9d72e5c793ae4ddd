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
		if _, err := f.s.StartCall(ctx, hotline.Leg{CallID: id, CallerNumber: "+78652000009", ArrivedAt: base}); err != nil {
			t.Fatal(err)
		}
		leg := hotline.Leg{CallID: id, CallerNumber: "+78652000009", ArrivedAt: base, RecordingName: rec}
		if ended > 0 {
			leg.AnsweredAt, leg.EndedAt, leg.End = base, base.Add(ended), hotline.LegCompleted
		}
		if err := f.s.SaveCallLeg(ctx, leg); err != nil {
			t.Fatal(err)
		}
	}
	call("old-2", 2*time.Minute, "call-old-2")
	call("old-1", time.Minute, "call-old-1")
	call("new", 3*time.Hour, "call-new")
	call("live", 0, "call-live")        // still talking: never expired
	call("unrecorded", time.Minute, "") // nothing to delete

	got, err := f.s.ExpiredRecordings(ctx, base.Add(time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "call-old-1" || got[1].Name != "call-old-2" {
		t.Fatalf("expired = %+v, want call-old-1 then call-old-2", got)
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
	evs, err := f.s.History(ctx, journal.HistoryFilter{CaseID: got[0].CaseID})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Action == "recording deleted" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d 'recording deleted' history events, want exactly 1: %+v", n, evs)
	}
}
