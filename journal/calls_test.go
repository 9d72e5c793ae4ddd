package journal_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// start files an arriving call.
func (f *fixture) start(t *testing.T, channel, number string, at time.Time) journal.CallFiled {
	t.Helper()
	cf, err := f.s.StartCall(context.Background(), journal.CallStart{CallID: channel, CallerNumber: number, ArrivedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	return cf
}

// answered files a call answered by operator op that is still going.
func (f *fixture) answered(t *testing.T, channel, number string, op int64) {
	t.Helper()
	at := f.clk.Now()
	f.start(t, channel, number, at)
	leg := hotline.Leg{CallID: channel, ArrivedAt: at, QueuedAt: at.Add(time.Second), AnsweredAt: at.Add(5 * time.Second), OperatorID: op}
	if err := f.s.SaveCallLeg(context.Background(), leg, ""); err != nil {
		t.Fatal(err)
	}
}

// overflowed files a call taken out of the queue, still going (the caller chooses).
func (f *fixture) overflowed(t *testing.T, channel, number string) time.Time {
	t.Helper()
	at := f.clk.Now()
	f.start(t, channel, number, at)
	if err := f.s.SaveCallLeg(context.Background(), hotline.Leg{CallID: channel, ArrivedAt: at, QueuedAt: at.Add(time.Second)}, ""); err != nil {
		t.Fatal(err)
	}
	return at
}

func (f *fixture) callID(t *testing.T, channel string) int64 {
	t.Helper()
	id, err := f.s.CallRef(context.Background(), channel)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (f *fixture) call(t *testing.T, channel string) hotline.Call {
	t.Helper()
	c, err := f.s.Call(context.Background(), f.callID(t, channel))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fixture) setLimit(t *testing.T, op int64, limit int) {
	t.Helper()
	if _, err := f.s.UpdateOperator(context.Background(), f.admin, op, func(o *hotline.Operator) error { o.MaxConcurrent = limit; return nil }); err != nil {
		t.Fatal(err)
	}
}

// counts is what a refused write must leave as it was.
type counts struct{ cases, caseCalls, events, links int }

func (f *fixture) counts(t *testing.T) counts {
	t.Helper()
	ctx := context.Background()
	var c counts
	var err error
	if c.cases, err = f.s.CountCases(ctx, journal.CaseFilter{}); err != nil {
		t.Fatal(err)
	}
	calls, err := f.s.Calls(ctx, journal.CallFilter{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	for _, cl := range calls {
		c.caseCalls += len(cl.Cases)
	}
	evs, err := f.s.History(ctx, journal.HistoryFilter{Limit: 1000000})
	if err != nil {
		t.Fatal(err)
	}
	c.events = len(evs)
	cs, err := f.s.Cases(ctx, journal.CaseFilter{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range cs {
		ls, err := f.s.LinkedCases(ctx, k.ID)
		if err != nil {
			t.Fatal(err)
		}
		c.links += len(ls)
	}
	return c
}

func TestStartCall(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	at := f.clk.Now()
	// The caller's open case, typed on the card in a third spelling.
	open := f.newCase(t, f.op1, hotline.Case{CallerNumber: "8 912 123 45 67", Topic: "policy-replace"})
	if open.CallerNumber != "+79121234567" {
		t.Fatalf("typed number stored as %q", open.CallerNumber)
	}
	cases0, _ := f.s.CountCases(ctx, journal.CaseFilter{})
	tests := []struct {
		channel, raw string
		number       string
		valid        bool
		owner        int64
		open         int
	}{
		{"s-1", "89121234567", "+79121234567", true, f.op1.OperatorID, 1},
		{"s-2", "+7 (912) 123-45-67", "+79121234567", true, f.op1.OperatorID, 1},
		{"s-3", "79121234567", "+79121234567", true, f.op1.OperatorID, 1},
		{"s-4", "+7 912 765 43 21", "+79127654321", true, 0, 0},
		{"s-5", "1001", "1001", false, 0, 0},
		{"s-6", "anonymous", "anonymous", false, 0, 0},
		{"s-7", "", "", false, 0, 0},
	}
	for i, tt := range tests {
		t.Run(tt.channel, func(t *testing.T) {
			arrived := at.Add(time.Duration(i) * time.Minute)
			cf, err := f.s.StartCall(ctx, journal.CallStart{CallID: tt.channel, CallerNumber: tt.raw, Line: "100", ArrivedAt: arrived})
			if err != nil {
				t.Fatal(err)
			}
			if cf.CallerNumber != tt.number || cf.CallerValid != tt.valid || cf.OwnerID != tt.owner || cf.OpenCases != tt.open {
				t.Fatalf("filed %+v, want number %q valid %v owner %d open %d", cf, tt.number, tt.valid, tt.owner, tt.open)
			}
			c := f.call(t, tt.channel)
			if c.CallerNumber != tt.number || c.CallerValid != tt.valid || c.Line != "100" || !c.ArrivedAt.Equal(arrived) ||
				c.Outcome != "" || len(c.Legs) != 1 || len(c.Cases) != 0 {
				t.Fatalf("stored call %+v", c)
			}
			// Filed again (a replay without its mark): one call, one leg.
			if _, err := f.s.StartCall(ctx, journal.CallStart{CallID: tt.channel, CallerNumber: tt.raw, ArrivedAt: arrived}); err != nil {
				t.Fatal(err)
			}
			if c := f.call(t, tt.channel); len(c.Legs) != 1 {
				t.Fatalf("filed twice: %d legs", len(c.Legs))
			}
		})
	}
	if n, _ := f.s.CountCases(ctx, journal.CaseFilter{}); n != cases0 {
		t.Fatalf("arriving calls opened cases: %d, want %d", n, cases0)
	}
	if n, err := f.s.CountCalls(ctx, journal.CallFilter{}); err != nil || n != len(tests) {
		t.Fatalf("%d calls (%v), want %d", n, err, len(tests))
	}
	// The caller id a callback dials is kept exactly as Asterisk gave it.
	if legs, err := f.s.OpenLegs(ctx); err != nil || len(legs) != len(tests) || legs[1].CallerNumber != "+7 (912) 123-45-67" {
		t.Fatalf("open legs: %+v %v", legs, err)
	}
	// The owner of a delayed answer comes first; an owner taken out of service is no one to prefer.
	fwd := f.newCase(t, f.op2, hotline.Case{CallerNumber: "+79121234567", Topic: "clinic-refusal"})
	if _, err := f.s.CloseCase(ctx, f.op2, fwd.ID, hotline.Closing{Result: hotline.ResultForwarded, Comment: "к специалисту", ForwardTo: f.l2ID}); err != nil {
		t.Fatal(err)
	}
	if cf := f.start(t, "s-8", "89121234567", at.Add(time.Hour)); cf.OwnerID != f.l2ID || cf.OpenCases != 2 {
		t.Fatalf("with a delayed answer of the specialist: %+v", cf)
	}
	for _, op := range []int64{f.l2ID, f.op1.OperatorID} {
		if err := f.s.RemoveOperator(ctx, f.admin, op); err != nil {
			t.Fatal(err)
		}
	}
	if cf := f.start(t, "s-9", "89121234567", at.Add(2*time.Hour)); cf.OwnerID != 0 || cf.OpenCases != 2 {
		t.Fatalf("owners removed from service: %+v", cf)
	}
	for _, bad := range []journal.CallStart{{CallerNumber: "1", ArrivedAt: at}, {CallID: "x"}, {CallID: strings.Repeat("x", 1000), ArrivedAt: at}} {
		_, err := f.s.StartCall(ctx, bad)
		wantCode(t, err, hotline.EINVALID)
	}
}

// SaveCallLeg keeps the call's aggregates: the first answer and its operator, and the end and
// outcome only with the last leg; a write without an outcome (spooled by an earlier version) gets
// the outcome its legs give.
func TestSaveCallLegAndCallOutcome(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	at := f.clk.Now()
	f.start(t, "t-1", "+79121234567", at)
	first := hotline.Leg{CallID: "t-1", ArrivedAt: at, GreetingEndAt: at.Add(4 * time.Second), QueuedAt: at.Add(4 * time.Second),
		AnsweredAt: at.Add(20 * time.Second), OperatorID: f.op1.OperatorID}
	if err := f.s.SaveCallLeg(ctx, first, ""); err != nil {
		t.Fatal(err)
	}
	first.EndedAt, first.End = at.Add(time.Minute), hotline.LegTransferred
	if err := f.s.SaveCallLeg(ctx, first, ""); err != nil {
		t.Fatal(err)
	}
	if c := f.call(t, "t-1"); c.Outcome != "" || !c.EndedAt.IsZero() {
		t.Fatalf("a transfer ended the call: %+v", c)
	}
	second := hotline.Leg{CallID: "t-1", ArrivedAt: at.Add(time.Minute), AnsweredAt: at.Add(70 * time.Second), OperatorID: f.l2ID,
		TransferredFrom: f.op1.OperatorID}
	if err := f.s.SaveCallLeg(ctx, second, ""); err != nil {
		t.Fatal(err)
	}
	c := f.call(t, "t-1")
	if len(c.Legs) != 2 || c.Outcome != "" || !c.AnsweredAt.Equal(first.AnsweredAt) || c.OperatorID != f.op1.OperatorID ||
		!c.GreetingEndAt.Equal(first.GreetingEndAt) || !c.QueuedAt.Equal(first.QueuedAt) {
		t.Fatalf("after the transfer: %+v", c)
	}
	second.EndedAt, second.End = at.Add(5*time.Minute), hotline.LegCompleted
	if err := f.s.SaveCallLeg(ctx, second, hotline.OutcomeAnswered); err != nil {
		t.Fatal(err)
	}
	c = f.call(t, "t-1")
	if len(c.Legs) != 2 || c.Outcome != hotline.OutcomeAnswered || !c.EndedAt.Equal(second.EndedAt) || c.OperatorID != f.op1.OperatorID ||
		!c.AnsweredAt.Equal(first.AnsweredAt) || c.Legs[1].OperatorID != f.l2ID || c.Legs[0].End != hotline.LegTransferred {
		t.Fatalf("ended: %+v", c)
	}
	wantCode(t, f.s.SaveCallLeg(ctx, second, "hung_up"), hotline.EINVALID)

	// Legacy writes: no outcome, the leg's end says it.
	tests := []struct {
		name     string
		leg      hotline.Leg
		callback bool
		outcome  hotline.CallOutcome
		want     hotline.CallOutcome
	}{
		{"greeting hang-up", hotline.Leg{End: hotline.LegAbandoned}, false, "", hotline.OutcomeAbandonedGreeting},
		{"queue hang-up", hotline.Leg{QueuedAt: at.Add(time.Second), End: hotline.LegAbandoned}, false, "", hotline.OutcomeAbandonedQueue},
		{"message", hotline.Leg{QueuedAt: at.Add(time.Second), End: hotline.LegOverflow, RecordingName: "msg"}, false, "", hotline.OutcomeOverflowMessage},
		{"overflow hang-up", hotline.Leg{QueuedAt: at.Add(time.Second), End: hotline.LegOverflow}, false, "", hotline.OutcomeAbandonedOverflow},
		{"callback", hotline.Leg{QueuedAt: at.Add(time.Second), End: hotline.LegOverflow}, true, "", hotline.OutcomeOverflowCallback},
		{"talked", hotline.Leg{QueuedAt: at.Add(time.Second), AnsweredAt: at.Add(2 * time.Second), OperatorID: f.op2.OperatorID, End: hotline.LegCompleted}, false, "", hotline.OutcomeAnswered},
		{"said by the call flow", hotline.Leg{End: hotline.LegAbandoned}, false, hotline.OutcomeHandedOver, hotline.OutcomeHandedOver},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := "legacy-" + string(rune('a'+i))
			f.start(t, ch, "+79120000001", at)
			if tt.callback {
				if _, err := f.s.OpenDelayedAnswer(ctx, ch, journal.DelayedCallback, journal.DelayedAnswerRule{}); err != nil {
					t.Fatal(err)
				}
			}
			leg := tt.leg
			leg.CallID, leg.ArrivedAt, leg.EndedAt = ch, at, at.Add(time.Minute)
			if err := f.s.SaveCallLeg(ctx, leg, tt.outcome); err != nil {
				t.Fatal(err)
			}
			if c := f.call(t, ch); c.Outcome != tt.want || !c.EndedAt.Equal(leg.EndedAt) {
				t.Fatalf("outcome %q ended %v, want %q", c.Outcome, c.EndedAt, tt.want)
			}
		})
	}
}

// The topic keyed on the handset opens a case owned by the operator, attached to the call; a
// second key on the same call changes that case; another operator's key opens their own.
func TestKeyTopic(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.answered(t, "k-1", "89121234567", f.op1.OperatorID)
	n0, _ := f.s.CountCases(ctx, journal.CaseFilter{})
	c, err := f.s.KeyTopic(ctx, "k-1", f.op1.OperatorID, 21)
	if err != nil || c.OwnerID != f.op1.OperatorID || c.Status != hotline.StatusInProgress || c.Topic != "clinic-refusal" ||
		c.Type != hotline.TypeComplaint || c.CallerNumber != "+79121234567" || c.Channel != hotline.ChannelPhone {
		t.Fatalf("first key: %+v %v", c, err)
	}
	if calls, err := f.s.CaseCalls(ctx, c.ID); err != nil || len(calls) != 1 || calls[0].Channel != "k-1" {
		t.Fatalf("the call is not on its case: %+v %v", calls, err)
	}
	again, err := f.s.KeyTopic(ctx, "k-1", f.op1.OperatorID, 11)
	if err != nil || again.ID != c.ID || again.Topic != "policy-replace" || again.Type != hotline.TypeConsultation || again.OwnerID != f.op1.OperatorID {
		t.Fatalf("second key: %+v %v", again, err)
	}
	if got, _ := f.s.Case(ctx, c.ID); got.Topic != "policy-replace" || got.Type != hotline.TypeConsultation {
		t.Fatalf("stored after the second key: %+v", got)
	}
	theirs, err := f.s.KeyTopic(ctx, "k-1", f.op2.OperatorID, 21)
	if err != nil || theirs.ID == c.ID || theirs.OwnerID != f.op2.OperatorID || theirs.Topic != "clinic-refusal" {
		t.Fatalf("another operator's key: %+v %v", theirs, err)
	}
	if mine, _ := f.s.Case(ctx, c.ID); mine.OwnerID != f.op1.OperatorID || mine.Topic != "policy-replace" {
		t.Fatalf("another operator's key changed my case: %+v", mine)
	}
	if n, _ := f.s.CountCases(ctx, journal.CaseFilter{}); n != n0+2 {
		t.Fatalf("%d cases, want %d", n, n0+2)
	}
	if call := f.call(t, "k-1"); len(call.Cases) != 2 || call.Cases[0] != c.ID || call.Cases[1] != theirs.ID {
		t.Fatalf("call's cases %v, want [%d %d]", call.Cases, c.ID, theirs.ID)
	}
	// A caller without a number: the case has none; an unknown operator is not found.
	f.answered(t, "k-2", "anonymous", f.op1.OperatorID)
	if anon, err := f.s.KeyTopic(ctx, "k-2", f.op1.OperatorID, 11); err != nil || anon.CallerNumber != "" {
		t.Fatalf("anonymous caller: %+v %v", anon, err)
	}
	_, err = f.s.KeyTopic(ctx, "k-2", 999, 11)
	wantCode(t, err, hotline.ENOTFOUND)
	// A case the operator closed is not changed by a late key: a new one is opened.
	if _, err := f.s.CloseCase(ctx, f.op2, theirs.ID, hotline.Closing{Result: hotline.ResultAnswered, Comment: "ok"}); err != nil {
		t.Fatal(err)
	}
	late, err := f.s.KeyTopic(ctx, "k-1", f.op2.OperatorID, 11)
	if err != nil || late.ID == theirs.ID {
		t.Fatalf("key after closing: %+v %v", late, err)
	}
	if closed, _ := f.s.Case(ctx, theirs.ID); closed.Status != hotline.StatusUnderReview || closed.Topic != "clinic-refusal" {
		t.Fatalf("closed case changed: %+v", closed)
	}
}

// A voice message or a callback request opens a delayed answer: owner by the rule, due date,
// linked to the caller's earlier open cases, one per call.
func TestOpenDelayedAnswer(t *testing.T) {
	ctx := context.Background()
	type setup int
	const (
		noEarlier setup = iota
		earlierOfOp1
		op1AtLimit
		op1Removed
	)
	tests := []struct {
		name      string
		why       string
		rule      journal.DelayedAnswerRule
		setup     setup
		wantOwner string // "op1" or "" (the administrators' queue)
		wantDue   time.Duration
	}{
		{"message to the case owner", journal.DelayedMessage, journal.DelayedAnswerRule{ToCaseOwner: true, Due: 2 * time.Hour}, earlierOfOp1, "op1", 2 * time.Hour},
		{"callback to the case owner", journal.DelayedCallback, journal.DelayedAnswerRule{ToCaseOwner: true}, earlierOfOp1, "op1", 24 * time.Hour},
		{"rule off: administrators", journal.DelayedCallback, journal.DelayedAnswerRule{ToCaseOwner: false, Due: time.Hour}, earlierOfOp1, "", time.Hour},
		{"no earlier case", journal.DelayedMessage, journal.DelayedAnswerRule{ToCaseOwner: true}, noEarlier, "", 24 * time.Hour},
		{"owner at the limit", journal.DelayedMessage, journal.DelayedAnswerRule{ToCaseOwner: true}, op1AtLimit, "", 24 * time.Hour},
		{"owner removed", journal.DelayedCallback, journal.DelayedAnswerRule{ToCaseOwner: true}, op1Removed, "", 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			var earlier hotline.Case
			if tt.setup != noEarlier {
				earlier = f.newCase(t, f.op1, hotline.Case{CallerNumber: "+79121234567", Topic: "policy-replace"})
			}
			switch tt.setup {
			case op1AtLimit:
				f.setLimit(t, f.op1.OperatorID, 1)
			case op1Removed:
				if err := f.s.RemoveOperator(ctx, f.admin, f.op1.OperatorID); err != nil {
					t.Fatal(err)
				}
			}
			f.clk.Add(time.Hour)
			arrived := f.overflowed(t, "d-1", "8 912 123-45-67")
			f.clk.Add(time.Minute)
			c, err := f.s.OpenDelayedAnswer(ctx, "d-1", tt.why, tt.rule)
			if err != nil {
				t.Fatal(err)
			}
			owner := map[string]int64{"op1": f.op1.OperatorID}[tt.wantOwner]
			if c.Status != hotline.StatusDelayedAnswer || c.OwnerID != owner || !c.DueAt.Equal(arrived.Add(tt.wantDue)) ||
				c.CallerNumber != "+79121234567" || !c.CreatedAt.Equal(arrived) {
				t.Fatalf("delayed answer %+v, want owner %d due %v", c, owner, arrived.Add(tt.wantDue))
			}
			if got, _ := f.s.Case(ctx, c.ID); got.Status != hotline.StatusDelayedAnswer || got.OwnerID != owner {
				t.Fatalf("stored: %+v", got)
			}
			call := f.call(t, "d-1")
			if len(call.Cases) != 1 || call.Cases[0] != c.ID {
				t.Fatalf("the call is not on its delayed answer: %v", call.Cases)
			}
			if tt.why == journal.DelayedCallback && call.Outcome != hotline.OutcomeOverflowCallback {
				t.Fatalf("callback asked: call outcome %q", call.Outcome)
			}
			linked, err := f.s.LinkedCases(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if tt.setup == noEarlier && len(linked) != 0 || tt.setup != noEarlier && (len(linked) != 1 || linked[0].ID != earlier.ID) {
				t.Fatalf("linked %+v, want the earlier case %d", linked, earlier.ID)
			}
			// A replay (or a message after a callback) opens no second.
			n, _ := f.s.CountCases(ctx, journal.CaseFilter{})
			again, err := f.s.OpenDelayedAnswer(ctx, "d-1", journal.DelayedMessage, tt.rule)
			if err != nil || again.ID != c.ID {
				t.Fatalf("replay: %+v %v", again, err)
			}
			if n2, _ := f.s.CountCases(ctx, journal.CaseFilter{}); n2 != n {
				t.Fatalf("replay opened a case: %d → %d", n, n2)
			}
		})
	}
	f := newFixture(t)
	f.overflowed(t, "d-2", "+79121234567")
	_, err := f.s.OpenDelayedAnswer(ctx, "d-2", "voicemail", journal.DelayedAnswerRule{})
	wantCode(t, err, hotline.EINVALID)
	_, err = f.s.OpenDelayedAnswer(ctx, "nope", journal.DelayedMessage, journal.DelayedAnswerRule{})
	wantCode(t, err, hotline.ENOTFOUND)
}

// A callback dialled and connected puts the delayed answer back «В работе», the operator's, with
// the new call on it.
func TestCallbackConnected(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.overflowed(t, "asked", "+79121234567")
	da, err := f.s.OpenDelayedAnswer(ctx, "asked", journal.DelayedCallback, journal.DelayedAnswerRule{})
	if err != nil {
		t.Fatal(err)
	}
	f.clk.Add(10 * time.Minute)
	if err := f.s.GiveCallback(ctx, "asked", f.op1.OperatorID); err != nil {
		t.Fatal(err)
	}
	if c, _ := f.s.Case(ctx, da.ID); c.OwnerID != f.op1.OperatorID || c.Status != hotline.StatusDelayedAnswer {
		t.Fatalf("callback given: %+v", c)
	}
	at := f.clk.Now()
	if _, err := f.s.StartCall(ctx, journal.CallStart{CallID: "dialled", CallerNumber: "+79121234567", CallbackFor: "asked", ArrivedAt: at, QueuedAt: at}); err != nil {
		t.Fatal(err)
	}
	if err := f.s.CallbackConnected(ctx, "dialled", f.op1.OperatorID); err != nil {
		t.Fatal(err)
	}
	c, _ := f.s.Case(ctx, da.ID)
	if c.Status != hotline.StatusInProgress || c.OwnerID != f.op1.OperatorID {
		t.Fatalf("connected: %+v", c)
	}
	calls, err := f.s.CaseCalls(ctx, da.ID)
	if err != nil || len(calls) != 2 || calls[0].Channel != "asked" || calls[1].Channel != "dialled" || calls[1].CallbackFor != "asked" {
		t.Fatalf("case calls: %+v %v", calls, err)
	}
	// A call hotline did not dial is no callback.
	f.start(t, "plain", "+79121234567", at)
	wantCode(t, f.s.CallbackConnected(ctx, "plain", f.op1.OperatorID), hotline.EINVALID)
}

// «*26» after a transfer: reached, the specialist takes the case «В работе»; not reached, the case
// is closed «Переадресация с уведомлением» as their delayed answer, unless they are at their limit.
func TestForwardCall(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		reached    bool
		atLimit    bool
		wantCode   string
		wantStatus hotline.CaseStatus
		wantResult hotline.Result
		wantAction string
	}{
		{"reached", true, false, "", hotline.StatusInProgress, "", "handed over"},
		{"not reached", false, false, "", hotline.StatusDelayedAnswer, hotline.ResultForwarded, "forwarded"},
		{"not reached, target at the limit", false, true, hotline.ECONFLICT, hotline.StatusInProgress, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.answered(t, "f-1", "+79121234567", f.op1.OperatorID)
			c, err := f.s.KeyTopic(ctx, "f-1", f.op1.OperatorID, 21)
			if err != nil {
				t.Fatal(err)
			}
			if tt.atLimit {
				f.newCase(t, f.l2, hotline.Case{Topic: "clinic-refusal"})
				f.setLimit(t, f.l2ID, 1)
			}
			before := f.counts(t)
			got, err := f.s.ForwardCall(ctx, journal.Forwarded{Channel: "f-1", By: f.op1.OperatorID, To: f.l2ID, Reached: tt.reached})
			if tt.wantCode != "" {
				wantCode(t, err, tt.wantCode)
				if !strings.Contains(hotline.ErrorMessage(err), "limit") {
					t.Errorf("the refusal does not say why: %v", err)
				}
				if after := f.counts(t); after != before {
					t.Fatalf("a refused forward wrote: %+v → %+v", before, after)
				}
				if stored, _ := f.s.Case(ctx, c.ID); stored.OwnerID != f.op1.OperatorID || stored.Status != hotline.StatusInProgress {
					t.Fatalf("refused forward changed the case: %+v", stored)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			stored, _ := f.s.Case(ctx, c.ID)
			for _, k := range []hotline.Case{got, stored} {
				if k.ID != c.ID || k.OwnerID != f.l2ID || k.Status != tt.wantStatus || k.Result != tt.wantResult {
					t.Fatalf("forwarded: %+v", k)
				}
			}
			if !tt.reached && stored.ForwardedTo != f.l2ID {
				t.Fatalf("forward target not kept: %+v", stored)
			}
			evs, err := f.s.History(ctx, journal.HistoryFilter{CaseID: c.ID})
			if err != nil {
				t.Fatal(err)
			}
			last := evs[len(evs)-1]
			owner := false
			for _, ch := range last.Changes {
				owner = owner || ch.Field == "owner_id" && ch.From == strconv.FormatInt(f.op1.OperatorID, 10) && ch.To == strconv.FormatInt(f.l2ID, 10)
			}
			if last.Action != tt.wantAction || last.Actor != "ivanova" || !owner {
				t.Fatalf("history does not say who handed it to whom: %+v", last)
			}
		})
	}
	f := newFixture(t)
	f.answered(t, "f-2", "+79121234567", f.op1.OperatorID)
	_, err := f.s.ForwardCall(ctx, journal.Forwarded{Channel: "f-2", By: f.op1.OperatorID, To: f.l2ID, Reached: true})
	wantCode(t, err, hotline.ENOTFOUND) // not registered: key the topic first
	if _, err := f.s.KeyTopic(ctx, "f-2", f.op1.OperatorID, 21); err != nil {
		t.Fatal(err)
	}
	_, err = f.s.ForwardCall(ctx, journal.Forwarded{Channel: "f-2", By: f.op2.OperatorID, To: f.l2ID, Reached: true})
	wantCode(t, err, hotline.ENOTFOUND) // op2 has no case on this call
	_, err = f.s.ForwardCall(ctx, journal.Forwarded{Channel: "f-2", By: f.op1.OperatorID, To: 999, Reached: true})
	wantCode(t, err, hotline.ENOTFOUND)
}

// Attaching a call to a case, and registering a call as a new card linked to earlier cases: bad
// input is refused with a clear error and nothing half written.
func TestAttachAndRegisterCall(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	earlier := f.newCase(t, f.op1, hotline.Case{CallerNumber: "+79121234567", Topic: "policy-replace"})
	older := f.newCase(t, f.op2, hotline.Case{CallerNumber: "+79121234567", Topic: "clinic-refusal"})
	f.answered(t, "a-1", "89121234567", f.op1.OperatorID)
	call := f.callID(t, "a-1")
	if err := f.s.AttachCall(ctx, f.op1, earlier.ID, call); err != nil {
		t.Fatal(err)
	}
	before := f.counts(t)
	wantCode(t, f.s.AttachCall(ctx, f.op1, earlier.ID, call), hotline.ECONFLICT)
	wantCode(t, f.s.AttachCall(ctx, f.op1, older.ID, call), hotline.EFORBIDDEN) // op2's case
	wantCode(t, f.s.AttachCall(ctx, f.op1, earlier.ID, 999), hotline.ENOTFOUND)
	wantCode(t, f.s.AttachCall(ctx, f.op1, 999, call), hotline.ENOTFOUND)
	if after := f.counts(t); after != before {
		t.Fatalf("refused attachments wrote: %+v → %+v", before, after)
	}
	if calls, err := f.s.CaseCalls(ctx, earlier.ID); err != nil || len(calls) != 1 || calls[0].ID != call {
		t.Fatalf("case calls: %+v %v", calls, err)
	}

	f.answered(t, "a-2", "+7 912 123 45 67", f.op1.OperatorID)
	second := f.callID(t, "a-2")
	for _, tt := range []struct {
		name string
		link []int64
		code string
	}{
		{"the same case twice", []int64{earlier.ID, earlier.ID}, hotline.EINVALID},
		{"a missing case", []int64{earlier.ID, 999}, hotline.ENOTFOUND},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := f.counts(t)
			c := hotline.Case{Topic: "clinic-refusal"}
			wantCode(t, f.s.RegisterCall(ctx, f.op1, second, &c, tt.link), tt.code)
			if after := f.counts(t); after != before {
				t.Fatalf("a refused registration wrote: %+v → %+v", before, after)
			}
		})
	}
	c := hotline.Case{Topic: "clinic-refusal", Description: "повторное обращение"}
	wantCode(t, f.s.RegisterCall(ctx, f.op1, 999, &c, nil), hotline.ENOTFOUND)
	c = hotline.Case{Topic: "clinic-refusal", Description: "повторное обращение"}
	if err := f.s.RegisterCall(ctx, f.op1, second, &c, []int64{earlier.ID, older.ID}); err != nil {
		t.Fatal(err)
	}
	if c.ID == 0 || c.OwnerID != f.op1.OperatorID || c.Status != hotline.StatusInProgress || c.CallerNumber != "+79121234567" || c.CreatedBy != "ivanova" {
		t.Fatalf("registered: %+v", c)
	}
	linked, err := f.s.LinkedCases(ctx, c.ID)
	if err != nil || len(linked) != 2 {
		t.Fatalf("linked: %+v %v", linked, err)
	}
	if cl := f.call(t, "a-2"); len(cl.Cases) != 1 || cl.Cases[0] != c.ID {
		t.Fatalf("call a-2 cases %v", cl.Cases)
	}
	// Registered once: registering it again as the same case is a conflict, never a double.
	if n, err := f.s.CountCalls(ctx, journal.CallFilter{Unregistered: true}); err != nil || n != 0 {
		t.Fatalf("unregistered calls: %d %v", n, err)
	}
}

func TestOpenCaseCounts(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.newCase(t, f.op1, hotline.Case{Topic: "policy-replace"})
	closing := f.newCase(t, f.op1, hotline.Case{Topic: "policy-replace"})
	fwd := f.newCase(t, f.op2, hotline.Case{Topic: "policy-replace"})
	if _, err := f.s.CloseCase(ctx, f.op1, closing.ID, hotline.Closing{Result: hotline.ResultAnswered, Comment: "ok"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.CloseCase(ctx, f.op2, fwd.ID, hotline.Closing{Result: hotline.ResultForwarded, Comment: "к специалисту", ForwardTo: f.l2ID}); err != nil {
		t.Fatal(err)
	}
	f.overflowed(t, "o-1", "+79121234567")
	if _, err := f.s.OpenDelayedAnswer(ctx, "o-1", journal.DelayedMessage, journal.DelayedAnswerRule{}); err != nil { // no owner: not counted
		t.Fatal(err)
	}
	got, err := f.s.OpenCaseCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]int{f.op1.OperatorID: 1, f.l2ID: 1}
	if len(got) != len(want) || got[f.op1.OperatorID] != 1 || got[f.l2ID] != 1 {
		t.Fatalf("open case counts %v, want %v", got, want)
	}
}

func TestCallsFilters(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	at := f.clk.Now()
	file := func(ch, number, line string, arrived time.Time, leg hotline.Leg, outcome hotline.CallOutcome) {
		t.Helper()
		if _, err := f.s.StartCall(ctx, journal.CallStart{CallID: ch, CallerNumber: number, Line: line, ArrivedAt: arrived}); err != nil {
			t.Fatal(err)
		}
		leg.CallID, leg.ArrivedAt, leg.EndedAt = ch, arrived, arrived.Add(time.Minute)
		if err := f.s.SaveCallLeg(ctx, leg, outcome); err != nil {
			t.Fatal(err)
		}
	}
	file("c-1", "+79121234567", "100", at, hotline.Leg{QueuedAt: at, AnsweredAt: at.Add(time.Second), OperatorID: f.op1.OperatorID, End: hotline.LegCompleted}, hotline.OutcomeAnswered)
	file("c-2", "+79121234567", "100", at.Add(time.Hour), hotline.Leg{QueuedAt: at.Add(time.Hour), End: hotline.LegAbandoned}, hotline.OutcomeAbandonedQueue)
	file("c-3", "+79127654321", "200", at.Add(2*time.Hour), hotline.Leg{End: hotline.LegAbandoned}, hotline.OutcomeAbandonedGreeting)
	file("c-4", "1001", "100", at.Add(3*time.Hour), hotline.Leg{QueuedAt: at, AnsweredAt: at.Add(3*time.Hour + time.Second), OperatorID: f.op2.OperatorID, End: hotline.LegCompleted}, hotline.OutcomeAnswered)
	if _, err := f.s.KeyTopic(ctx, "c-1", f.op1.OperatorID, 11); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		f    journal.CallFilter
		want []string // newest first
	}{
		{"all", journal.CallFilter{}, []string{"c-4", "c-3", "c-2", "c-1"}},
		{"outcome", journal.CallFilter{Outcomes: []hotline.CallOutcome{hotline.OutcomeAbandonedQueue, hotline.OutcomeAbandonedGreeting}}, []string{"c-3", "c-2"}},
		{"caller typed as 8…", journal.CallFilter{Caller: "8 (912) 123-45-67"}, []string{"c-2", "c-1"}},
		{"caller not a number, as given", journal.CallFilter{Caller: "1001"}, []string{"c-4"}},
		{"unregistered", journal.CallFilter{Unregistered: true}, []string{"c-4", "c-3", "c-2"}},
		{"unregistered answered", journal.CallFilter{Unregistered: true, Outcomes: []hotline.CallOutcome{hotline.OutcomeAnswered}}, []string{"c-4"}},
		{"operator", journal.CallFilter{OperatorID: f.op1.OperatorID}, []string{"c-1"}},
		{"line", journal.CallFilter{Line: "200"}, []string{"c-3"}},
		{"period", journal.CallFilter{From: at.Add(time.Hour), To: at.Add(2 * time.Hour)}, []string{"c-2"}},
		{"page", journal.CallFilter{Limit: 2, Offset: 1}, []string{"c-3", "c-2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs, err := f.s.Calls(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range cs {
				got = append(got, c.Channel)
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			n, err := f.s.CountCalls(ctx, tt.f)
			if want := len(tt.want); tt.f.Limit == 0 && (err != nil || n != want) {
				t.Fatalf("count %d %v, want %d", n, err, want)
			}
		})
	}
	for _, bad := range []journal.CallFilter{{Limit: -1}, {Offset: -1}, {Outcomes: []hotline.CallOutcome{"hung_up"}}} {
		_, err := f.s.Calls(ctx, bad)
		wantCode(t, err, hotline.EINVALID)
		_, err = f.s.CountCalls(ctx, bad)
		if bad.Limit == 0 && bad.Offset == 0 {
			wantCode(t, err, hotline.EINVALID)
		}
	}
	_, err := f.s.CallRef(ctx, "no-such-channel")
	wantCode(t, err, hotline.ENOTFOUND)
	_, err = f.s.CallRef(ctx, "")
	wantCode(t, err, hotline.EINVALID)
	if id, err := f.s.CallRef(ctx, strconv.FormatInt(f.callID(t, "c-3"), 10)); err != nil || id != f.callID(t, "c-3") {
		t.Fatalf("call by id: %d %v", id, err)
	}
	_, err = f.s.Call(ctx, 999)
	wantCode(t, err, hotline.ENOTFOUND)
}

// The phone region is the journal's, set by an administrator; national numbers typed after the
// change are read in it, numbers stored before keep their E.164 form.
func TestSetPhoneRegion(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if f.s.PhoneRegion() != "RU" {
		t.Fatalf("default region %q, want RU", f.s.PhoneRegion())
	}
	f.start(t, "ru-1", "89121234567", f.clk.Now())
	wantCode(t, f.s.SetPhoneRegion(ctx, f.op1, "GB"), hotline.EFORBIDDEN)
	wantCode(t, f.s.SetPhoneRegion(ctx, f.admin, "XX"), hotline.EINVALID)
	wantCode(t, f.s.SetPhoneRegion(ctx, f.admin, ""), hotline.EINVALID)
	if f.s.PhoneRegion() != "RU" {
		t.Fatalf("a refused change changed the region: %q", f.s.PhoneRegion())
	}
	if err := f.s.SetPhoneRegion(ctx, f.admin, "gb"); err != nil {
		t.Fatal(err)
	}
	if f.s.PhoneRegion() != "GB" {
		t.Fatalf("region %q, want GB", f.s.PhoneRegion())
	}
	cf := f.start(t, "gb-1", "020 7946 0958", f.clk.Now())
	if !cf.CallerValid || cf.CallerNumber != "+442079460958" {
		t.Fatalf("a London number in GB: %+v", cf)
	}
	for _, typed := range []string{"020 7946 0958", "+44 20 7946 0958"} {
		cs, err := f.s.Calls(ctx, journal.CallFilter{Caller: typed})
		if err != nil || len(cs) != 1 || cs[0].Channel != "gb-1" {
			t.Fatalf("search %q: %+v %v", typed, cs, err)
		}
	}
	// Stored before: still found by its international form.
	if cs, err := f.s.Calls(ctx, journal.CallFilter{Caller: "+7 912 123-45-67"}); err != nil || len(cs) != 1 || cs[0].Channel != "ru-1" {
		t.Fatalf("a number stored before the change: %+v %v", cs, err)
	}
	c := f.newCase(t, f.op1, hotline.Case{CallerNumber: "020 7946 0958", Topic: "policy-replace"})
	if c.CallerNumber != "+442079460958" {
		t.Fatalf("typed on a card in GB: %q", c.CallerNumber)
	}
	evs, err := f.s.History(ctx, journal.HistoryFilter{Entity: "settings"})
	if err != nil || len(evs) != 1 || evs[0].Actor != "admin" || evs[0].Changes[0].From != "RU" || evs[0].Changes[0].To != "GB" {
		t.Fatalf("settings history: %+v %v", evs, err)
	}
	// Every program opening the file reads it in the same region.
	other, err := journal.Open(ctx, journal.AddrForTest(t, f.path), journal.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if other.PhoneRegion() != "GB" {
		t.Fatalf("reopened: region %q, want GB", other.PhoneRegion())
	}
}

func TestAnsweredSince(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	op := f.op1.OperatorID
	for i, answered := range []time.Time{at.Add(-2 * time.Hour), at.Add(time.Minute), at.Add(2 * time.Minute), {}} {
		ch := "since-" + strconv.Itoa(i)
		if _, err := f.s.StartCall(ctx, journal.CallStart{CallID: ch, ArrivedAt: at.Add(-3 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		l := hotline.Leg{CallID: ch, ArrivedAt: at.Add(-3 * time.Hour), AnsweredAt: answered}
		if !answered.IsZero() {
			l.OperatorID = op
		}
		if err := f.s.SaveCallLeg(ctx, l, ""); err != nil {
			t.Fatal(err)
		}
	}
	got, err := f.s.AnsweredSince(ctx, at)
	if err != nil || len(got) != 1 || got[op] != 2 {
		t.Errorf("AnsweredSince = %v, %v; want operator %d: 2 (the earlier answer and the unanswered call left out)", got, err, op)
	}
}

// A call's ring time is its first answering operator's: a transfer's later ring does not move it.
func TestCallRingTime(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	if _, err := f.s.StartCall(ctx, journal.CallStart{CallID: "ring-1", ArrivedAt: at}); err != nil {
		t.Fatal(err)
	}
	first := hotline.Leg{CallID: "ring-1", ArrivedAt: at, QueuedAt: at.Add(5 * time.Second), RangAt: at.Add(20 * time.Second),
		AnsweredAt: at.Add(24 * time.Second), OperatorID: f.op1.OperatorID, EndedAt: at.Add(time.Minute), End: hotline.LegTransferred}
	second := hotline.Leg{CallID: "ring-1", ArrivedAt: at.Add(time.Minute), RangAt: at.Add(time.Minute), AnsweredAt: at.Add(70 * time.Second),
		OperatorID: f.op2.OperatorID, TransferredFrom: f.op1.OperatorID, EndedAt: at.Add(2 * time.Minute), End: hotline.LegCompleted}
	for _, l := range []hotline.Leg{first, second} {
		if err := f.s.SaveCallLeg(ctx, l, map[bool]hotline.CallOutcome{true: hotline.OutcomeAnswered}[l.End == hotline.LegCompleted]); err != nil {
			t.Fatal(err)
		}
	}
	c := f.call(t, "ring-1")
	if !c.RangAt.Equal(first.RangAt) || len(c.Legs) != 2 || c.Legs[0].RingTime() != 4*time.Second || c.Legs[1].RingTime() != 10*time.Second {
		t.Errorf("call = %+v; want rang at the first answer's ring, legs ringing 4 s and 10 s", c)
	}
}

// A call an operator answered stays answered however its last leg ends (back in the queue after a
// failed transfer, then gone while hotline was away).
func TestAnsweredCallStaysAnswered(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	if _, err := f.s.StartCall(ctx, journal.CallStart{CallID: "kept-1", ArrivedAt: at}); err != nil {
		t.Fatal(err)
	}
	talked := hotline.Leg{CallID: "kept-1", ArrivedAt: at, QueuedAt: at, AnsweredAt: at.Add(5 * time.Second),
		OperatorID: f.op1.OperatorID, EndedAt: at.Add(time.Minute), End: hotline.LegTransferred}
	waiting := hotline.Leg{CallID: "kept-1", ArrivedAt: at.Add(time.Minute), QueuedAt: at.Add(time.Minute),
		TransferredFrom: f.op1.OperatorID, EndedAt: at.Add(2 * time.Minute), End: hotline.LegAbandoned, EndedAway: true}
	if err := f.s.SaveCallLeg(ctx, talked, ""); err != nil {
		t.Fatal(err)
	}
	if err := f.s.SaveCallLeg(ctx, waiting, hotline.OutcomeAbandonedQueue); err != nil {
		t.Fatal(err)
	}
	if c := f.call(t, "kept-1"); c.Outcome != hotline.OutcomeAnswered || c.OperatorID != f.op1.OperatorID || !c.EndedAway {
		t.Errorf("call = %+v; want answered (by operator 1), ended away", c)
	}

	// Answered and ended by the one write (the call's only leg write, whatever outcome it says):
	// the call's answer and its end are one UPDATE, and the answer it sets counts.
	if _, err := f.s.StartCall(ctx, journal.CallStart{CallID: "kept-2", ArrivedAt: at}); err != nil {
		t.Fatal(err)
	}
	once := hotline.Leg{CallID: "kept-2", ArrivedAt: at, QueuedAt: at, AnsweredAt: at.Add(5 * time.Second),
		OperatorID: f.op1.OperatorID, EndedAt: at.Add(time.Minute), End: hotline.LegCompleted}
	if err := f.s.SaveCallLeg(ctx, once, hotline.OutcomeAbandonedQueue); err != nil {
		t.Fatal(err)
	}
	if c := f.call(t, "kept-2"); c.Outcome != hotline.OutcomeAnswered || c.OperatorID != f.op1.OperatorID || c.AnsweredAt.IsZero() {
		t.Errorf("call = %+v; want answered by operator 1 in its one write", c)
	}
}

// A call-back from the workplace: its dialling, then its answer, are in the case's history, and
// the answered call is put on the case; an unknown case is ENOTFOUND (not retried), a bad step
// EINVALID, and an answer whose call was never filed still notes the history.
func TestNoteCaseCallback(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.overflowed(t, "asked", "+79121234567")
	da, err := f.s.OpenDelayedAnswer(ctx, "asked", journal.DelayedCallback, journal.DelayedAnswerRule{})
	if err != nil {
		t.Fatal(err)
	}
	op := f.op1.OperatorID
	note := func(what, channel, why, by string) error {
		return f.s.NoteCaseCallback(ctx, journal.CaseCallback{CaseID: da.ID, OperatorID: op, Number: "+79121234567",
			Channel: channel, What: what, Why: why, By: by})
	}
	if err := note(journal.CallbackDialled, "case1-cb5", "", "petrov"); err != nil {
		t.Fatal(err)
	}
	if err := note(journal.CallbackNotAnswered, "case1-cb5", "busy", ""); err != nil {
		t.Fatal(err)
	}
	at := f.clk.Now()
	if _, err := f.s.StartCall(ctx, journal.CallStart{CallID: "case1-cb6", CallerNumber: "+79121234567", ArrivedAt: at, QueuedAt: at}); err != nil {
		t.Fatal(err)
	}
	if err := note(journal.CallbackAnswered, "case1-cb6", "", ""); err != nil {
		t.Fatal(err)
	}
	if err := note(journal.CallbackAnswered, "case1-cb6", "", ""); err != nil { // a replay: attached once
		t.Fatal(err)
	}
	hist, err := f.s.History(ctx, journal.HistoryFilter{CaseID: da.ID})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range hist {
		if strings.HasPrefix(e.Action, "callback ") || e.Action == "call attached" {
			got = append(got, e.Actor+" "+e.Action)
		}
	}
	want := []string{"system call attached", "petrov callback dialled", "system callback not answered", "system callback answered", "system call attached", "system callback answered"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("history = %q, want %q", got, want)
	}
	for _, e := range hist {
		if e.Action == "callback dialled" && !strings.Contains(fmt.Sprint(e.Changes), "+79121234567") {
			t.Errorf("dialled without the number: %+v", e)
		}
	}
	calls, err := f.s.CaseCalls(ctx, da.ID)
	if err != nil || len(calls) != 2 || calls[1].Channel != "case1-cb6" {
		t.Errorf("case calls = %+v, %v; want the call that asked and the call-back", calls, err)
	}
	wantCode(t, f.s.NoteCaseCallback(ctx, journal.CaseCallback{CaseID: 999999, OperatorID: op, Number: "+79121234567", What: journal.CallbackDialled}), hotline.ENOTFOUND)
	wantCode(t, note("rang twice", "", "", ""), hotline.EINVALID)
	if err := note(journal.CallbackAnswered, "never-filed", "", ""); err != nil {
		t.Errorf("answer of a call never filed: %v", err)
	}
}
