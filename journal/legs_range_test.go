package journal_test

import (
	"context"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// CallRecords reads a period's legs with their case's number, topic and type, on a journal
// opened read-only too.
func TestCallRecords(t *testing.T) {
	ctx, f := context.Background(), newFixture(t)
	at := f.clk.Now()
	f.clk.Add(2 * time.Hour) // every call below has arrived
	// ch-1: answered by op1, topic keyed, transferred to the specialist (a second leg).
	one, err := f.s.StartCall(ctx, hotline.Leg{CallID: "ch-1", CallerNumber: "+78652000005", ArrivedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	l := hotline.Leg{CallID: "ch-1", CallerNumber: "+78652000005", ArrivedAt: at, QueuedAt: at.Add(3 * time.Second),
		AnsweredAt: at.Add(10 * time.Second), EndedAt: at.Add(time.Minute), End: hotline.LegTransferred,
		OperatorID: f.op1.OperatorID, RecordingName: "rec-1"}
	if err := f.s.SaveCallLeg(ctx, l); err != nil {
		t.Fatal(err)
	}
	if err := f.s.SetCallTopic(ctx, "ch-1", f.op1.OperatorID, 21); err != nil {
		t.Fatal(err)
	}
	l2 := hotline.Leg{CallID: "ch-1", CallerNumber: "+78652000005", ArrivedAt: at.Add(time.Minute), AnsweredAt: at.Add(65 * time.Second),
		OperatorID: f.l2ID, TransferredFrom: f.op1.OperatorID}
	if err := f.s.SaveCallLeg(ctx, l2); err != nil {
		t.Fatal(err)
	}
	// ch-2: another caller, abandoned in the queue, no topic; ch-3: the next hour.
	two, err := f.s.StartCall(ctx, hotline.Leg{CallID: "ch-2", CallerNumber: "+78652000006", ArrivedAt: at.Add(30 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.StartCall(ctx, hotline.Leg{CallID: "ch-3", CallerNumber: "+78652000007", ArrivedAt: at.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	f.s.Close()

	ro, err := journal.Open(ctx, f.path, journal.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	recs, err := ro.CallRecords(ctx, at, at.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	type rec struct {
		callID     string
		caseID     int64
		caseNumber string
		topic      string
		typ        hotline.CaseType
		op, from   int64
		arrived    time.Time
	}
	num := func(id int64) string { return journal.CaseNumber(at, id) }
	want := []rec{
		{"ch-1", one.CaseID, num(one.CaseID), "clinic-refusal", hotline.TypeComplaint, f.op1.OperatorID, 0, at},
		{"ch-2", two.CaseID, num(two.CaseID), "", "", 0, 0, at.Add(30 * time.Second)},
		{"ch-1", one.CaseID, num(one.CaseID), "clinic-refusal", hotline.TypeComplaint, f.l2ID, f.op1.OperatorID, at.Add(time.Minute)},
	}
	if len(recs) != len(want) {
		t.Fatalf("got %d records, want %d: %+v", len(recs), len(want), recs)
	}
	for i, r := range recs {
		got := rec{r.CallID, r.CaseID, r.CaseNumber, r.Topic, r.Type, r.OperatorID, r.TransferredFrom, r.ArrivedAt}
		if got != want[i] {
			t.Errorf("record %d = %+v, want %+v", i, got, want[i])
		}
	}
	if first := recs[0].Leg; !first.QueuedAt.Equal(l.QueuedAt) || !first.EndedAt.Equal(l.EndedAt) || first.End != hotline.LegTransferred ||
		first.RecordingName != "rec-1" || first.CallerNumber != "+78652000005" {
		t.Errorf("first leg = %+v", first)
	}
	// Open ends: everything.
	if all, err := ro.CallRecords(ctx, time.Time{}, time.Time{}); err != nil || len(all) != 4 {
		t.Errorf("all records: %d %v", len(all), err)
	}
}
