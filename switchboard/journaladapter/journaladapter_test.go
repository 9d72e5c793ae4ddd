package journaladapter

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/outbox"
	"github.com/hotline-dev/hotline/switchboard"
)

// The contract the switchboard relies on, against a real journal: a call is filed (no case), its
// leg saved by call id with its outcome, the operator's topic key opens their case for the call,
// and the caller's next call comes back with that case's owner; a callback request becomes a
// delayed answer by the rule, given to an operator at its turn, «В работе» when the called-back
// caller talks to them; «*26» hands the case over.
func TestCallFiledInJournal(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	admin := hotline.Actor{Login: "admin", Role: hotline.RoleAdministrator}
	o := hotline.Operator{Name: "Anna", Login: "anna", Role: hotline.RoleOperator, Level: hotline.Level1, Extension: "1001"}
	o2 := hotline.Operator{Name: "Boris", Login: "boris", Role: hotline.RoleOperator, Level: hotline.Level2, Extension: "2001"}
	for _, op := range []*hotline.Operator{&o, &o2} {
		if err := store.AddOperator(ctx, admin, op); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.AddTopic(ctx, admin, hotline.Topic{Code: "policy", Number: 7, Type: hotline.TypeConsultation, Title: "Полис"}); err != nil {
		t.Fatal(err)
	}
	j := Journal{Store: store, DelayedAnswers: journal.DelayedAnswerRule{ToCaseOwner: true, Due: 24 * time.Hour}}

	ops, err := j.Operators(ctx)
	if err != nil || len(ops) != 2 || ops[0].Extension != "1001" {
		t.Fatalf("Operators = %+v, %v", ops, err)
	}
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	f, err := j.Write(ctx, switchboard.Write{StartCall: &switchboard.CallStart{CallID: "1700.1", CallerNumber: "89001112233", Line: "100", ArrivedAt: at}})
	if err != nil {
		t.Fatal(err)
	}
	if f.OwnerID != 0 || f.OpenCases != 0 {
		t.Errorf("first call filed as %+v, want a caller without cases", f)
	}
	if n, _ := store.CountCases(ctx, journal.CaseFilter{}); n != 0 {
		t.Errorf("a call arriving opened %d cases, want none", n)
	}
	leg := hotline.Leg{CallID: "1700.1", ArrivedAt: at, QueuedAt: at.Add(5 * time.Second), AnsweredAt: at.Add(9 * time.Second),
		OperatorID: o.ID}
	if _, err := j.Write(ctx, switchboard.Write{SaveLeg: &leg}); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Write(ctx, switchboard.Write{Topic: &switchboard.TopicKeyed{CallID: "1700.1", OperatorID: o.ID, Topic: 7}}); err != nil {
		t.Fatal(err)
	}
	leg.EndedAt, leg.End, leg.RecordingName = at.Add(time.Minute), hotline.LegCompleted, "call-1700.1-3"
	if _, err := j.Write(ctx, switchboard.Write{SaveLeg: &leg, Outcome: hotline.OutcomeAnswered}); err != nil {
		t.Fatal(err)
	}
	cases, err := store.Cases(ctx, journal.CaseFilter{})
	if err != nil || len(cases) != 1 || cases[0].OwnerID != o.ID || cases[0].Topic != "policy" || cases[0].CallerNumber != "+79001112233" {
		t.Fatalf("cases = %+v, %v; want one, Anna's, topic policy, the caller in E.164", cases, err)
	}
	calls, err := store.Calls(ctx, journal.CallFilter{})
	if err != nil || len(calls) != 1 || calls[0].Outcome != hotline.OutcomeAnswered || calls[0].Line != "100" ||
		calls[0].OperatorID != o.ID || len(calls[0].Cases) != 1 || calls[0].Cases[0] != cases[0].ID {
		t.Fatalf("calls = %+v, %v; want the answered call on line 100, on Anna's case", calls, err)
	}

	// The same caller, dialling as +7…: their case's owner comes back with the call.
	again, err := j.Write(ctx, switchboard.Write{StartCall: &switchboard.CallStart{CallID: "1700.2", CallerNumber: "+7 900 111-22-33", ArrivedAt: at.Add(time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	if again.OwnerID != o.ID || again.OpenCases != 1 {
		t.Errorf("second call filed as %+v, want owner %d, one open case", again, o.ID)
	}
	// It overflows and the caller keys 1: a delayed answer, Anna's by the rule, linked to her case.
	if _, err := j.Write(ctx, switchboard.Write{Callback: &switchboard.CallbackAsked{CallID: "1700.2"}}); err != nil {
		t.Fatal(err)
	}
	end := hotline.Leg{CallID: "1700.2", ArrivedAt: at.Add(time.Hour), EndedAt: at.Add(time.Hour + time.Minute), End: hotline.LegOverflow}
	if _, err := j.Write(ctx, switchboard.Write{SaveLeg: &end, Outcome: hotline.OutcomeOverflowCallback}); err != nil {
		t.Fatal(err)
	}
	delayed, err := store.Cases(ctx, journal.CaseFilter{Statuses: []hotline.CaseStatus{hotline.StatusDelayedAnswer}})
	if err != nil || len(delayed) != 1 || delayed[0].OwnerID != o.ID || !delayed[0].DueAt.Equal(at.Add(25*time.Hour)) {
		t.Fatalf("delayed answers = %+v, %v; want one, Anna's, due a day after the call", delayed, err)
	}
	waiting, err := store.WaitingCallbacks(ctx)
	if err != nil || len(waiting) != 1 || waiting[0].CallID != "1700.2" {
		t.Fatalf("waiting callbacks = %+v, %v", waiting, err)
	}
	// Its turn: Boris calls back; hotline dials, he talks to the caller.
	if _, err := j.Write(ctx, switchboard.Write{Callback: &switchboard.CallbackAsked{CallID: "1700.2", OperatorID: o2.ID}}); err != nil {
		t.Fatal(err)
	}
	if waiting, _ := store.WaitingCallbacks(ctx); len(waiting) != 0 {
		t.Errorf("a callback given to an operator still waits: %+v", waiting)
	}
	if _, err := j.Write(ctx, switchboard.Write{StartCall: &switchboard.CallStart{CallID: "1700.2-cb9", CallerNumber: "89001112233",
		CallbackFor: "1700.2", ArrivedAt: at.Add(2 * time.Hour), QueuedAt: at.Add(2 * time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Write(ctx, switchboard.Write{Connected: &switchboard.CallbackConnected{CallID: "1700.2-cb9", OperatorID: o2.ID}}); err != nil {
		t.Fatal(err)
	}
	cb, err := store.Case(ctx, delayed[0].ID)
	if err != nil || cb.Status != hotline.StatusInProgress || cb.OwnerID != o2.ID {
		t.Errorf("called-back case = %+v, %v; want «В работе», Boris's", cb, err)
	}
	// «*26» after a live transfer of the first call from Anna to Boris: the case is his, in progress.
	if _, err := j.Write(ctx, switchboard.Write{Forward: &switchboard.CaseForwarded{CallID: "1700.1", By: o.ID, To: o2.ID, Reached: true}}); err != nil {
		t.Fatal(err)
	}
	if c, _ := store.Case(ctx, cases[0].ID); c.OwnerID != o2.ID || c.Status != hotline.StatusInProgress {
		t.Errorf("handed-over case = %+v, want Boris's «В работе»", c)
	}
}

// Presence goes through the adapter as the switchboard writes and restores it.
func TestPresenceThroughAdapter(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	admin := hotline.Actor{Login: "admin", Role: hotline.RoleAdministrator}
	o := hotline.Operator{Name: "Anna", Login: "anna", Role: hotline.RoleOperator, Level: hotline.Level1, Extension: "1001"}
	if err := store.AddOperator(ctx, admin, &o); err != nil {
		t.Fatal(err)
	}
	var j switchboard.Journal = Journal{Store: store}
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	for _, e := range []hotline.PresenceEvent{
		{OperatorID: o.ID, At: at, Presence: hotline.PresenceAvailable, How: hotline.PresenceByFeatureCode},
		{OperatorID: o.ID, At: at.Add(time.Minute), Presence: hotline.PresencePaused, Reason: "2", How: hotline.PresenceByFeatureCode},
	} {
		if _, err := j.Write(ctx, switchboard.Write{Presence: &e}); err != nil {
			t.Fatal(err)
		}
	}
	last, err := j.LastPresence(ctx)
	if err != nil || len(last) != 1 || last[0].Presence != hotline.PresencePaused || last[0].Reason != "2" {
		t.Errorf("LastPresence = %v, %v; want paused with reason 2", last, err)
	}
}

// A write replayed from the spool with a mark the journal has applied is refused as already
// applied and writes nothing; the next mark applies.
func TestSpooledWriteAppliedOnce(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	j := Journal{Store: store}
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	start := switchboard.Write{Mark: outbox.Mark{Spool: "g1", Seq: 1},
		StartCall: &switchboard.CallStart{CallID: "1700.1", CallerNumber: "+79001112233", ArrivedAt: at}}
	if _, err := j.Write(ctx, start); err != nil {
		t.Fatalf("first write: %v", err)
	}
	if _, err := j.Write(ctx, start); !errors.Is(err, outbox.ErrAlreadyApplied) {
		t.Fatalf("replay: %v, want ErrAlreadyApplied", err)
	}
	end := hotline.Leg{CallID: "1700.1", ArrivedAt: at, EndedAt: at.Add(time.Minute), End: hotline.LegAbandoned}
	if _, err := j.Write(ctx, switchboard.Write{Mark: outbox.Mark{Spool: "g1", Seq: 2}, SaveLeg: &end}); err != nil {
		t.Fatalf("next mark: %v", err)
	}
	legs, err := store.Legs(ctx, "1700.1")
	if err != nil || len(legs) != 1 || legs[0].End != hotline.LegAbandoned {
		t.Errorf("legs = %+v, %v; want the one leg, abandoned", legs, err)
	}
}

func openStore(t *testing.T) *journal.Store {
	t.Helper()
	ctx := context.Background()
	store, err := journal.Open(ctx, filepath.Join(t.TempDir(), "hotline.db"), journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return store
}

// A mark recorded alone (its write was refused) makes a later replay of that write a no-op.
func TestMarkClaimedAlone(t *testing.T) {
	ctx := context.Background()
	j := Journal{Store: openStore(t)}
	mark := outbox.Mark{Spool: "g1", Seq: 5}
	if _, err := j.Write(ctx, switchboard.Write{Mark: mark}); err != nil {
		t.Fatalf("claim alone: %v", err)
	}
	leg := switchboard.CallStart{CallID: "1700.9", ArrivedAt: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	if _, err := j.Write(ctx, switchboard.Write{Mark: mark, StartCall: &leg}); !errors.Is(err, outbox.ErrAlreadyApplied) {
		t.Errorf("replay of a write whose mark was claimed alone: %v, want ErrAlreadyApplied", err)
	}
	if _, err := j.Write(ctx, switchboard.Write{}); hotline.ErrorCode(err) != hotline.EINVALID {
		t.Errorf("an empty write without a mark: %v, want invalid", err)
	}
}

// A workplace call-back through the adapter: each step of switchboard.CaseCallback is a history
// entry of the case; an unknown case is refused as not found (not retryable: the outbox drops the
// write instead of waiting on it), and so is a step the journal does not know.
func TestCaseCallbackThroughAdapter(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	admin := hotline.Actor{Login: "admin", Role: hotline.RoleAdministrator}
	c := hotline.Case{Channel: hotline.ChannelPhone, CallerNumber: "+79001112233", Description: "перезвонить"}
	if err := store.NewCase(ctx, admin, &c); err != nil {
		t.Fatal(err)
	}
	j := Journal{Store: store}
	for _, what := range []string{switchboard.CaseCallbackDialled, switchboard.CaseCallbackNotAnswered} {
		if _, err := j.Write(ctx, switchboard.Write{CaseCallback: &switchboard.CaseCallback{CaseID: c.ID, OperatorID: 3,
			Number: "+79001112233", CallID: "case1-cb2", What: what, By: "petrov"}}); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	hist, err := store.History(ctx, journal.HistoryFilter{CaseID: c.ID})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range hist {
		got = append(got, e.Action)
	}
	if len(got) < 2 || got[len(got)-2] != "callback dialled" || got[len(got)-1] != "callback not answered" {
		t.Errorf("history = %q, want the call-back dialled, then not answered", got)
	}
	for _, tc := range []struct {
		n    switchboard.CaseCallback
		code string
	}{
		{switchboard.CaseCallback{CaseID: c.ID + 100, Number: "+79001112233", What: switchboard.CaseCallbackDialled}, hotline.ENOTFOUND},
		{switchboard.CaseCallback{CaseID: c.ID, Number: "+79001112233", What: "rang"}, hotline.EINVALID},
	} {
		_, err := j.Write(ctx, switchboard.Write{CaseCallback: &tc.n})
		if hotline.ErrorCode(err) != tc.code || outbox.Retryable(err) {
			t.Errorf("Write(%+v) = %v, want %s, not retryable", tc.n, err, tc.code)
		}
	}
}

// An unanswered offer goes through the adapter once: replayed from the spool under the same mark
// it is refused as already applied and the journal keeps one.
func TestRingAttemptThroughAdapterOnce(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	admin := hotline.Actor{Login: "admin", Role: hotline.RoleAdministrator}
	o := hotline.Operator{Name: "Anna", Login: "anna", Role: hotline.RoleOperator, Level: hotline.Level1, Extension: "1001"}
	if err := store.AddOperator(ctx, admin, &o); err != nil {
		t.Fatal(err)
	}
	j := Journal{Store: store}
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	if _, err := j.Write(ctx, switchboard.Write{StartCall: &switchboard.CallStart{CallID: "1700.1", CallerNumber: "+79001112233", ArrivedAt: at}}); err != nil {
		t.Fatal(err)
	}
	ring := switchboard.Write{Mark: outbox.Mark{Spool: "g1", Seq: 2}, Ring: &hotline.RingAttempt{CallID: "1700.1", OperatorID: o.ID,
		RangAt: at.Add(5 * time.Second), StoppedAt: at.Add(20 * time.Second), Why: hotline.RingTimedOut}}
	if _, err := j.Write(ctx, ring); err != nil {
		t.Fatalf("ring attempt: %v", err)
	}
	if _, err := j.Write(ctx, ring); !errors.Is(err, outbox.ErrAlreadyApplied) {
		t.Errorf("replayed ring attempt: %v, want outbox.ErrAlreadyApplied", err)
	}
	got, err := store.RingAttempts(ctx, time.Time{}, time.Time{})
	if err != nil || len(got) != 1 || got[0].OperatorID != o.ID || got[0].Why != hotline.RingTimedOut {
		t.Errorf("RingAttempts = %+v, %v; want the one timeout", got, err)
	}
}

// An administrator's listening through the adapter: each step is an event of the call's history,
// by the administrator; a call the journal does not have and a step it does not know are refused.
func TestSupervisionThroughAdapter(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	j := Journal{Store: store}
	if _, err := j.Write(ctx, switchboard.Write{StartCall: &switchboard.CallStart{CallID: "c1", CallerNumber: "+79001112233",
		ArrivedAt: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	steps := []switchboard.Supervised{
		{CallID: "c1", OperatorID: 3, By: "chief", Extension: "1009", What: "listen"},
		{CallID: "c1", OperatorID: 3, By: "chief", Extension: "1009", What: "barge"},
		{CallID: "c1", OperatorID: 3, By: "chief", Extension: "1009", What: switchboard.SupervisionEnded, Why: "the call ended"},
	}
	for _, s := range steps {
		if _, err := j.Write(ctx, switchboard.Write{Supervised: &s}); err != nil {
			t.Fatalf("%s: %v", s.What, err)
		}
	}
	id, err := store.CallRef(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	hist, err := store.History(ctx, journal.HistoryFilter{Entity: journal.CallEntity, EntityID: strconv.FormatInt(id, 10)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range hist {
		got = append(got, e.Actor+" "+e.Action)
	}
	want := []string{"chief supervision listen", "chief supervision barge", "chief supervision ended"}
	if !slices.Equal(got, want) {
		t.Errorf("history = %q, want %q", got, want)
	}
	if last := hist[len(hist)-1]; !slices.Contains(last.Changes, journal.Change{Field: "reason", To: "the call ended"}) {
		t.Errorf("the end does not say why: %+v", last.Changes)
	}
	for _, tc := range []struct {
		s    switchboard.Supervised
		code string
	}{
		{switchboard.Supervised{CallID: "c9", By: "chief", What: "listen"}, hotline.ENOTFOUND},
		{switchboard.Supervised{CallID: "c1", By: "chief", What: "shout"}, hotline.EINVALID},
		{switchboard.Supervised{CallID: "c1", What: "listen"}, hotline.EINVALID},
	} {
		if _, err := j.Write(ctx, switchboard.Write{Supervised: &tc.s}); hotline.ErrorCode(err) != tc.code {
			t.Errorf("%+v: %v, want %s", tc.s, err, tc.code)
		}
	}
}

// A call Asterisk cut is in the call's history by the system, with the side and the cause.
func TestCallCutThroughAdapter(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	j := Journal{Store: store}
	if _, err := j.Write(ctx, switchboard.Write{StartCall: &switchboard.CallStart{CallID: "c1", ArrivedAt: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Write(ctx, switchboard.Write{Cut: &switchboard.CallCut{CallID: "c1", Side: hotline.SideOperator, Cause: 16}}); err != nil {
		t.Fatal(err)
	}
	id, err := store.CallRef(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	hist, err := store.History(ctx, journal.HistoryFilter{Entity: journal.CallEntity, EntityID: strconv.FormatInt(id, 10)})
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 || hist[0].Action != "cut by Asterisk" || hist[0].Actor != "system" ||
		!slices.Equal(hist[0].Changes, []journal.Change{{Field: "side", To: "operator"}, {Field: "cause", To: "16"}}) {
		t.Errorf("history = %+v", hist)
	}
	if _, err := j.Write(ctx, switchboard.Write{Cut: &switchboard.CallCut{CallID: "c1", Side: "nobody"}}); hotline.ErrorCode(err) != hotline.EINVALID {
		t.Errorf("a cut on no side: %v", err)
	}
}
