package integrationtests

import (
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/config"
	"github.com/hotline-dev/hotline/integration-tests/hotlinetest"
	"github.com/hotline-dev/hotline/integration-tests/sipphone"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/switchboard"
)

func queued(n int) func(switchboard.Status) bool {
	return func(st switchboard.Status) bool { return len(st.Queue) == n }
}

// A caller who gives up in the queue leaves a call, abandoned in the queue, answered by nobody, and
// no case: nobody registered anything.
func TestAbandonInQueueLeavesACallNoCase(t *testing.T) {
	d := hotlinetest.Start(t, []hotlinetest.Operator{{Extension: "1001"}}, nil)
	const number = "79003330001"
	ctx := within(t, 60*time.Second)
	c, err := d.Caller(number).Dial(ctx, "100")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.WaitStatus(15*time.Second, queued(1)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := d.WaitStatus(10*time.Second, queued(0)); err != nil {
		t.Errorf("abandoned caller still in the queue: %v", err)
	}
	cs, leg := waitLegEnded(t, d, number)
	if leg.End != hotline.LegAbandoned || leg.OperatorID != 0 || !leg.AnsweredAt.IsZero() {
		t.Errorf("leg = %+v; want abandoned, unanswered", leg)
	}
	if leg.QueueWait() < time.Second {
		t.Errorf("queue wait %s; the caller waited over a second", leg.QueueWait())
	}
	if cs.Outcome != hotline.OutcomeAbandonedQueue || len(cs.Cases) != 0 {
		t.Errorf("call = %+v; want abandoned in the queue, on no case", cs)
	}
	if n, err := d.Store.CountCases(within(t, 5*time.Second), journal.CaseFilter{}); err != nil || n != 0 {
		t.Errorf("%d cases, %v: an abandoned call opened a case", n, err)
	}
}

// A caller who hangs up during the greeting never joined the queue: a call abandoned in the
// greeting, no queue time, no case (and so nothing in queue_log).
func TestAbandonInGreetingLeavesACallNoCase(t *testing.T) {
	d := hotlinetest.Start(t, nil, nil)
	const number = "79003330006"
	ctx := within(t, 60*time.Second)
	c, err := d.Caller(number).Dial(ctx, "100")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitAudio(within(t, 5*time.Second)); err != nil {
		t.Fatalf("caller heard no greeting: %v", err)
	}
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	cs, leg := waitLegEnded(t, d, number)
	if cs.Outcome != hotline.OutcomeAbandonedGreeting || !leg.QueuedAt.IsZero() || !cs.QueuedAt.IsZero() || len(cs.Cases) != 0 {
		t.Errorf("call = %+v, leg %+v; want abandoned in the greeting, never queued, on no case", cs, leg)
	}
}

// Overflow "message": after the maximum wait the caller is asked for a message, which is recorded
// and filed with the case; the call is never dropped silently.
func TestOverflowMessageIsRecordedOnTheCase(t *testing.T) {
	d := hotlinetest.Start(t, nil, func(c *config.Config) {
		c.Calls.Overflow = "message"
		c.Calls.MaxWait = 3 * time.Second
	})
	const number = "79003330002"
	ctx := within(t, 60*time.Second)
	c, err := d.Caller(number).Dial(ctx, "100")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.WaitStatus(15*time.Second, queued(1)); err != nil {
		t.Fatal(err)
	}
	// Out of the queue at the maximum wait; then the prompt, the beep and the recording.
	if _, err := d.WaitStatus(10*time.Second, queued(0)); err != nil {
		t.Fatalf("caller not taken out of the queue after the maximum wait: %v", err)
	}
	time.Sleep(6 * time.Second) // "leave a message" + beep, then 2 s or more of the caller's tone
	if err := c.SendDTMF(ctx, "#"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitEnd(within(t, 15*time.Second)); err != nil {
		t.Errorf("hotline did not end the call after the message: %v", err)
		_ = c.Hangup(ctx)
	}
	msgCall, leg := waitLegEnded(t, d, number)
	if leg.End != hotline.LegOverflow || msgCall.Outcome != hotline.OutcomeOverflowMessage {
		t.Errorf("leg ended %q, call %q; want overflow, overflow_message", leg.End, msgCall.Outcome)
	}
	if leg.RecordingName == "" {
		t.Fatalf("no message recording on the leg: %+v", leg)
	}
	// The message is a delayed answer: due, in the administrators' queue (the caller has no case
	// whose owner could take it), with the call on it.
	if len(msgCall.Cases) != 1 {
		t.Fatalf("the message's call is on cases %v, want one delayed answer", msgCall.Cases)
	}
	if da, err := d.Store.Case(within(t, 5*time.Second), msgCall.Cases[0]); err != nil || da.Status != hotline.StatusDelayedAnswer ||
		da.OwnerID != 0 || da.DueAt.IsZero() || da.CallerNumber != "+"+number {
		t.Errorf("delayed answer = %+v, %v; want «Отсроченный ответ» in the administrators' queue, due, for the caller", da, err)
	}
	wav, err := sipphone.LoadWAV(d.RecordingPath(leg.RecordingName, "wav"))
	if err != nil {
		t.Fatalf("message recording: %v", err)
	}
	if n := sipphone.ToneFrames(wav.Samples, hotlinetest.CallerTone, 0.5); n < 25 {
		t.Errorf("the message holds the caller's voice in %d frames", n)
	}
}

// Overflow "callback": the caller presses 1, keeps their place without holding the line, and the
// case becomes a delayed answer owned by the next operator who is free.
func TestOverflowCallbackBecomesDelayedAnswer(t *testing.T) {
	d := hotlinetest.Start(t, []hotlinetest.Operator{{Extension: "1001"}}, func(c *config.Config) {
		c.Calls.Overflow = "callback"
		c.Calls.MaxWait = 3 * time.Second
	})
	const number = "79003330003"
	ctx := within(t, 60*time.Second)
	c, err := d.Caller(number).Dial(ctx, "100")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.WaitStatus(15*time.Second, queued(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := d.WaitStatus(10*time.Second, queued(0)); err != nil {
		t.Fatalf("caller not offered the overflow after the maximum wait: %v", err)
	}
	time.Sleep(time.Second)
	if err := c.SendDTMF(ctx, "1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitEnd(within(t, 15*time.Second)); err != nil {
		t.Errorf("hotline did not end the call after the callback was taken: %v", err)
		_ = c.Hangup(ctx)
	}
	st, err := d.WaitStatus(10*time.Second, queued(1))
	if err != nil || !st.Queue[0].Callback || st.Queue[0].CallerNumber != "+"+number {
		t.Fatalf("the callback does not keep the caller's place: %+v %v", st.Queue, err)
	}
	asked, _ := waitLegEnded(t, d, number)
	if asked.Outcome != hotline.OutcomeOverflowCallback || len(asked.Cases) != 1 {
		t.Fatalf("call = %+v, want overflow_callback on one case", asked)
	}
	caseOf := func() hotline.Case {
		cs, err := d.Store.Case(within(t, 5*time.Second), asked.Cases[0])
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}
	if cs := caseOf(); cs.Status != hotline.StatusDelayedAnswer || cs.DueAt.IsZero() {
		t.Errorf("case %+v, want a delayed answer with a due date", cs)
	}
	// The next free operator owns it.
	h := d.Handset("1001", 0)
	d.FeatureCode(h, "*21")
	deadline := time.Now().Add(10 * time.Second)
	for {
		cs := caseOf()
		if cs.OwnerID == d.OperatorID("1001") && cs.Status == hotline.StatusDelayedAnswer {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("callback case not assigned to the free operator: %+v", cs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := d.WaitStatus(5*time.Second, queued(0)); err != nil {
		t.Errorf("assigned callback still queued: %v", err)
	}
}

// A handset that unregisters is offered no calls; another operator takes them.
func TestUnregisteredHandsetGetsNoCalls(t *testing.T) {
	d := hotlinetest.Start(t, []hotlinetest.Operator{{Extension: "1001"}, {Extension: "1002"}}, nil)
	h1 := d.Handset("1001", 0)
	h2 := d.Handset("1002", 0)
	d.FeatureCode(h1, "*21") // 1001 idle longest: it would be chosen
	time.Sleep(200 * time.Millisecond)
	d.FeatureCode(h2, "*21")
	if err := h1.Close(); err != nil { // unregisters
		t.Fatal(err)
	}
	if _, err := d.WaitStatus(10*time.Second, func(st switchboard.Status) bool {
		return hotlinetest.Presence(st, "1001") == hotline.PresenceUnreachable
	}); err != nil {
		t.Fatalf("unregistered handset not marked unreachable: %v", err)
	}
	ctx := within(t, 60*time.Second)
	c, err := d.Caller("79003330004").Dial(ctx, "100")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitTone(within(t, 20*time.Second), hotlinetest.OperatorTone); err != nil {
		t.Fatalf("caller not answered by the registered operator: %v", err)
	}
	_ = c.Hangup(ctx)
	_, leg := waitLegEnded(t, d, "79003330004")
	if leg.OperatorID != d.OperatorID("1002") {
		t.Errorf("answered by operator %d, want 1002 (%d)", leg.OperatorID, d.OperatorID("1002"))
	}
}

// Login, pause, resume and logout from the handset, each confirmed by a prompt and each changing
// what calls the operator is offered.
func TestFeatureCodesLoginPauseResumeLogout(t *testing.T) {
	d := hotlinetest.Start(t, []hotlinetest.Operator{{Extension: "1001"}}, nil)
	h := d.Handset("1001", 0)
	presence := func(want hotline.Presence) {
		t.Helper()
		if _, err := d.WaitStatus(5*time.Second, func(st switchboard.Status) bool {
			return hotlinetest.Presence(st, "1001") == want
		}); err != nil {
			t.Fatalf("operator not %s: %v", want, err)
		}
	}
	if !d.FeatureCode(h, "*21") {
		t.Error("*21: no confirmation prompt")
	}
	presence(hotline.PresenceAvailable)
	if !d.FeatureCode(h, "*232") {
		t.Error("*232: no confirmation prompt")
	}
	presence(hotline.PresencePaused)
	st, _ := d.API.Status(within(t, 5*time.Second))
	for _, o := range st.Operators {
		if o.Extension == "1001" && o.Reason != "2" {
			t.Errorf("pause reason %q, want 2", o.Reason)
		}
	}
	ctx := within(t, 60*time.Second)
	c, err := d.Caller("79003330005").Dial(ctx, "100")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.WaitStatus(15*time.Second, queued(1)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	if st, _ := d.API.Status(ctx); len(st.Queue) != 1 || st.Queue[0].OfferedTo != 0 {
		t.Errorf("a paused operator was offered the call: %+v", st.Queue)
	}
	if !d.FeatureCode(h, "*24") {
		t.Error("*24: no confirmation prompt")
	}
	if err := c.WaitTone(within(t, 15*time.Second), hotlinetest.OperatorTone); err != nil {
		t.Fatalf("resumed operator not connected to the waiting caller: %v", err)
	}
	_ = c.Hangup(ctx)
	presence(hotline.PresenceAvailable) // after the wrap-up
	if !d.FeatureCode(h, "*22") {
		t.Error("*22: no confirmation prompt")
	}
	presence(hotline.PresenceLoggedOut)
}
