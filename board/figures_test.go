package board

import (
	"slices"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/report"
	"github.com/hotline-dev/hotline/switchboard"
)

func TestFigure(t *testing.T) {
	st := status([]time.Duration{95 * time.Second, 10 * time.Second}, hotline.PresenceTalking, hotline.PresencePaused, hotline.PresenceAvailable)
	st.Queue = append(st.Queue, switchboard.QueuedCaller{Callback: true, Waiting: time.Hour})
	st.Operators = append(st.Operators, switchboard.OperatorStatus{ID: 9, Name: "Admin", Presence: hotline.PresenceAvailable}) // no handset
	st.Operators[0].Extension, st.Operators[2].Extension = "1009", "1001"
	st.Operators = append(st.Operators, switchboard.OperatorStatus{ID: 10, Extension: "1005", Presence: hotline.PresenceTalking})
	st.Calls = 4
	today := &report.CallStats{Offered: 3}
	f := Figure(st, today)
	if f.Waiting != 2 || f.LongestWait != 95*time.Second || f.CallbacksOwed != 1 || f.InProgress != 4 || f.Today != today || !f.Connected {
		t.Fatalf("figures: %+v", f)
	}
	if f.OnLine != 4 { // talking ×2, available ×2 (the administrator without a handset too); paused is not
		t.Errorf("on line %d, want 4", f.OnLine)
	}
	if len(f.Groups) != len(presenceOrder) {
		t.Fatalf("%d groups, want one per presence", len(f.Groups))
	}
	byPresence := map[hotline.Presence][]string{}
	for _, g := range f.Groups {
		for _, o := range g.Operators {
			byPresence[g.Presence] = append(byPresence[g.Presence], o.Extension)
		}
	}
	if !slices.Equal(byPresence[hotline.PresenceTalking], []string{"1005", "1009"}) || !slices.Equal(byPresence[hotline.PresenceAvailable], []string{"1001"}) {
		t.Errorf("groups (by extension, handsets only): %v", byPresence)
	}
}

func TestCheckGivesTheFiguresOfEachAlert(t *testing.T) {
	st := status([]time.Duration{3 * time.Minute}, hotline.PresenceAvailable)
	st.Connected = false
	got := Check(Figure(st, &report.CallStats{ServiceLevel: []report.ServiceLevel{{TargetSeconds: 20, Percent: pct(50)}}}), DefaultThresholds())
	want := []Alert{
		{Kind: NotConnected},
		{Kind: LongestWait, Wait: 3 * time.Minute, Limit: 2 * time.Minute},
		{Kind: FewOnLine, OnLine: 1, MinOnLine: 2},
		{Kind: LowServiceLevel, Percent: 50, Target: 80},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("alerts %+v, want %+v", got, want)
	}
}

func TestStatusOfASnapshot(t *testing.T) {
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	snap := switchboard.Snapshot{At: at, Service: switchboard.Service{Connected: true, Draining: true},
		Queue: []switchboard.QueueEntry{
			{CallID: "a", CallerNumber: "+79001112233", JoinedAt: at.Add(-40 * time.Second), OfferedTo: 2},
			{CallID: "b", Callback: true, JoinedAt: at.Add(-time.Hour)},
			{CallID: "c", JoinedAt: at.Add(time.Second)}, // a clock step: never a negative wait
		},
		Operators: []switchboard.OperatorView{{ID: 2, Name: "Op", Extension: "1001", Presence: hotline.PresenceRinging, Reason: "", CallsToday: 3}},
		Calls:     []switchboard.CallView{{}, {}},
	}
	st := StatusOf(snap)
	if !st.Connected || !st.Draining || st.Calls != 2 || len(st.Queue) != 3 || len(st.Operators) != 1 {
		t.Fatalf("status: %+v", st)
	}
	if q := st.Queue[0]; q.Position != 1 || q.Waiting != 40*time.Second || q.OfferedTo != 2 || q.CallerNumber != "+79001112233" {
		t.Errorf("first in queue: %+v", q)
	}
	if !st.Queue[1].Callback || st.Queue[1].Position != 2 || st.Queue[2].Waiting != 0 {
		t.Errorf("queue: %+v", st.Queue)
	}
	if o := st.Operators[0]; o.ID != 2 || o.Presence != hotline.PresenceRinging || o.CallsToday != 3 {
		t.Errorf("operator: %+v", o)
	}
}
