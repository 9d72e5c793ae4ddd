package journal_test

import (
	"context"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// The topic each leg carries for the reports (legs.call_topic, migration 0019's triggers) is the
// one CallRecords looks up (the call's first case, by attachment then id) after every write that
// can change it: a case opened from the call, its topic changed, a later case, a transfer leg
// written after the call was filed, a call attached to an earlier case.
func TestReportLegTopicKept(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	from := f.clk.Now().Add(-time.Hour)
	check := func(step string, want map[string]string) {
		t.Helper()
		until := f.clk.Now().Add(time.Hour)
		recs, err := f.s.CallRecords(ctx, from, until)
		if err != nil {
			t.Fatal(err)
		}
		looked := map[int64]string{}
		byCall := map[string]string{}
		for _, r := range recs {
			looked[r.ID] = r.Topic
			byCall[r.CallID] = r.Topic
		}
		n := 0
		if err := f.s.EachReportLeg(ctx, from, until, func(l journal.ReportLeg) error {
			n++
			if w, ok := looked[l.ID]; !ok || l.Topic != w {
				t.Errorf("%s: leg %d carries topic %q, CallRecords says %q", step, l.ID, l.Topic, w)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if n != len(recs) {
			t.Errorf("%s: %d legs streamed, %d records", step, n, len(recs))
		}
		for call, w := range want {
			if byCall[call] != w {
				t.Errorf("%s: call %s's topic %q, want %q", step, call, byCall[call], w)
			}
		}
	}
	topic := func(s string) *string { return &s }
	complaint := hotline.TypeComplaint

	f.answered(t, "t-1", "89121234567", f.op1.OperatorID)
	check("answered, no case", map[string]string{"t-1": ""})
	first, err := f.s.KeyTopic(ctx, "t-1", f.op1.OperatorID, 21)
	if err != nil {
		t.Fatal(err)
	}
	check("a case opened by the topic key", map[string]string{"t-1": "clinic-refusal"})
	f.clk.Add(time.Second)
	if _, err := f.s.KeyTopic(ctx, "t-1", f.op1.OperatorID, 11); err != nil {
		t.Fatal(err)
	}
	check("the case's topic changed by the key", map[string]string{"t-1": "policy-replace"})
	f.clk.Add(time.Second)
	if _, err := f.s.KeyTopic(ctx, "t-1", f.op2.OperatorID, 21); err != nil {
		t.Fatal(err)
	}
	check("a later case of another operator", map[string]string{"t-1": "policy-replace"})

	// A transfer: the first leg ends transferred, a new leg is written after the call was filed.
	at := f.clk.Now()
	leg := hotline.Leg{CallID: "t-1", ArrivedAt: from.Add(time.Hour), QueuedAt: from.Add(time.Hour + time.Second),
		AnsweredAt: from.Add(time.Hour + 5*time.Second), EndedAt: at, End: hotline.LegTransferred, OperatorID: f.op1.OperatorID}
	if err := f.s.SaveCallLeg(ctx, leg, ""); err != nil {
		t.Fatal(err)
	}
	if err := f.s.SaveCallLeg(ctx, hotline.Leg{CallID: "t-1", ArrivedAt: at, AnsweredAt: at.Add(time.Second),
		OperatorID: f.op2.OperatorID, TransferredFrom: f.op1.OperatorID}, ""); err != nil {
		t.Fatal(err)
	}
	check("a transfer leg", map[string]string{"t-1": "policy-replace"})

	if _, err := f.s.UpdateCase(ctx, f.op1, first.ID, journal.CaseUpdate{Type: &complaint, Topic: topic("clinic-refusal")}); err != nil {
		t.Fatal(err)
	}
	check("the first case's topic edited on the card", map[string]string{"t-1": "clinic-refusal"})

	// Another call, attached by hand to an earlier case with a topic.
	f.clk.Add(time.Minute)
	f.answered(t, "t-2", "89121234568", f.op1.OperatorID)
	earlier := f.newCase(t, f.op1, hotline.Case{CallerNumber: "+79121234568", Topic: "policy-replace"})
	check("a case not yet attached", map[string]string{"t-2": ""})
	if err := f.s.AttachCall(ctx, f.op1, earlier.ID, f.callID(t, "t-2")); err != nil {
		t.Fatal(err)
	}
	check("attached to an earlier case", map[string]string{"t-1": "clinic-refusal", "t-2": "policy-replace"})
}
