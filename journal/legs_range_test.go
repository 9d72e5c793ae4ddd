package journal_test

import (
	"context"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// CallRecords reads a period's legs with their call's number and outcome and the number, topic and
// type of the case the call was registered under, on a journal opened read-only too. A call on
// two cases counts once (under the first attached); a call nobody registered has no case number.
func TestCallRecords(t *testing.T) {
	ctx, f := context.Background(), newFixture(t)
	at := f.clk.Now()
	f.clk.Add(2 * time.Hour) // every call below has arrived
	start := func(call, number string, arrived time.Time) {
		t.Helper()
		if _, err := f.s.StartCall(ctx, journal.CallStart{CallID: call, CallerNumber: number, ArrivedAt: arrived}); err != nil {
			t.Fatal(err)
		}
	}
	// ch-1: answered by op1, topic keyed, transferred to the specialist (a second leg), and later
	// attached to a second case too.
	start("ch-1", "8 (865) 200-00-05", at)
	l := hotline.Leg{CallID: "ch-1", ArrivedAt: at, QueuedAt: at.Add(3 * time.Second),
		AnsweredAt: at.Add(10 * time.Second), EndedAt: at.Add(time.Minute), End: hotline.LegTransferred,
		OperatorID: f.op1.OperatorID, RecordingName: "rec-1", OperatorChannel: "op-chan-1"}
	if err := f.s.SaveCallLeg(ctx, l, ""); err != nil {
		t.Fatal(err)
	}
	one, err := f.s.KeyTopic(ctx, "ch-1", f.op1.OperatorID, 21)
	if err != nil {
		t.Fatal(err)
	}
	l2 := hotline.Leg{CallID: "ch-1", ArrivedAt: at.Add(time.Minute), AnsweredAt: at.Add(65 * time.Second), EndedAt: at.Add(5 * time.Minute),
		End: hotline.LegCompleted, OperatorID: f.l2ID, TransferredFrom: f.op1.OperatorID, OperatorChannel: "op-chan-2", HungUpBy: hotline.SideOperator}
	if err := f.s.SaveCallLeg(ctx, l2, hotline.OutcomeAnswered); err != nil {
		t.Fatal(err)
	}
	other := f.newCase(t, f.op2, hotline.Case{Topic: "policy-replace"})
	ref, err := f.s.CallRef(ctx, "ch-1")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.s.AttachCall(ctx, f.op2, other.ID, ref); err != nil {
		t.Fatal(err)
	}
	// ch-2: another caller, abandoned in the queue, no case; ch-3: the next hour.
	start("ch-2", "+78652000006", at.Add(30*time.Second))
	if err := f.s.SaveCallLeg(ctx, hotline.Leg{CallID: "ch-2", ArrivedAt: at.Add(30 * time.Second), QueuedAt: at.Add(40 * time.Second),
		EndedAt: at.Add(90 * time.Second), End: hotline.LegAbandoned}, hotline.OutcomeAbandonedQueue); err != nil {
		t.Fatal(err)
	}
	start("ch-3", "+78652000007", at.Add(time.Hour))
	f.s.Close()

	ro, err := journal.Open(ctx, journal.AddrForTest(t, f.path), journal.Options{ReadOnly: true})
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
		caseNumber string
		topic      string
		typ        hotline.CaseType
		outcome    hotline.CallOutcome
		op, from   int64
		arrived    time.Time
	}
	want := []rec{
		{"ch-1", one.Number, "clinic-refusal", hotline.TypeComplaint, hotline.OutcomeAnswered, f.op1.OperatorID, 0, at},
		{"ch-2", "", "", "", hotline.OutcomeAbandonedQueue, 0, 0, at.Add(30 * time.Second)},
		{"ch-1", one.Number, "clinic-refusal", hotline.TypeComplaint, hotline.OutcomeAnswered, f.l2ID, f.op1.OperatorID, at.Add(time.Minute)},
	}
	if len(recs) != len(want) {
		t.Fatalf("got %d records, want %d: %+v", len(recs), len(want), recs)
	}
	for i, r := range recs {
		got := rec{r.CallID, r.CaseNumber, r.Topic, r.Type, r.Outcome, r.OperatorID, r.TransferredFrom, r.ArrivedAt}
		if got != want[i] {
			t.Errorf("record %d = %+v, want %+v", i, got, want[i])
		}
	}
	if first := recs[0].Leg; !first.QueuedAt.Equal(l.QueuedAt) || !first.EndedAt.Equal(l.EndedAt) || first.End != hotline.LegTransferred ||
		first.RecordingName != "rec-1" || first.CallerNumber != "+78652000005" || first.OperatorChannel != "op-chan-1" || first.HungUpBy != "" {
		t.Errorf("first leg = %+v", first)
	}
	// Which side hung up and the operator's channel, for queue_log's COMPLETEAGENT and CONNECT.
	if l := recs[2].Leg; l.HungUpBy != hotline.SideOperator || l.OperatorChannel != "op-chan-2" {
		t.Errorf("transfer leg = %+v, want hung up by the operator on op-chan-2", l)
	}
	// Open ends: everything, ch-3 still going without an outcome.
	all, err := ro.CallRecords(ctx, time.Time{}, time.Time{})
	if err != nil || len(all) != 4 || all[3].CallID != "ch-3" || all[3].Outcome != "" || all[3].CaseNumber != "" {
		t.Errorf("all records: %+v %v", all, err)
	}
}
