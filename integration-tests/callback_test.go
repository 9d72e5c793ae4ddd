package integrationtests

import (
	"context"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/config"
	"github.com/hotline-dev/hotline/integration-tests/hotlinetest"
	"github.com/hotline-dev/hotline/integration-tests/sandbox"
	"github.com/hotline-dev/hotline/integration-tests/sipphone"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/switchboard"
)

// A caller waits too long, keys 1 to be called back and hangs up (and, in one case, hotline restarts
// meanwhile: the callback keeps its place). When an operator logs in, hotline
// dials the caller (calls.callback_dial, here the trunk to the test phone's own address), the
// caller answers, is told to hold and is put through to that operator: they hear each other, and
// the case has the overflow leg and the called-back leg, completed by the operator.
func TestCallbackDialledToOperator(t *testing.T) {
	for _, c := range []struct {
		name    string
		number  string
		restart bool // hotline restarts while the callback waits: its place must survive
	}{
		{"dialled", "79006660001", false},
		{"after a restart", "79006660002", true},
	} {
		t.Run(c.name, func(t *testing.T) { callbackDialled(t, c.number, c.restart) })
	}
}

func callbackDialled(t *testing.T, number string, restart bool) {
	sb := sandbox.Require(t)
	ctx := within(t, 120*time.Second)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	caller, err := sipphone.New(pctx, sipphone.Config{Server: sb.SIPAddr, User: number,
		Tone: hotlinetest.CallerTone, Detect: []float64{hotlinetest.OperatorTone}})
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { caller.Close() })
	d := hotlinetest.Start(t, []hotlinetest.Operator{{Extension: "1001"}}, func(c *config.Config) {
		c.Calls.MaxWait = 4 * time.Second
		c.Calls.Overflow = "callback"
		c.Calls.CallbackDial = "PJSIP/callers/sip:{number}@" + caller.Addr().String()
	})
	h := d.Handset("1001", 300*time.Millisecond)

	first, err := caller.Dial(ctx, "100")
	if err != nil {
		t.Fatal(err)
	}
	if err := first.WaitAnswer(within(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	// Nobody logged in: queued, then after max_wait out of the queue to the callback offer; 1 takes it.
	if _, err := d.WaitStatus(10*time.Second, queued(1)); err != nil {
		t.Fatalf("caller not queued: %v", err)
	}
	if _, err := d.WaitStatus(15*time.Second, func(st switchboard.Status) bool { return st.Calls == 1 && len(st.Queue) == 0 }); err != nil {
		t.Fatalf("no overflow after max_wait: %v", err)
	}
	if err := first.SendDTMF(ctx, "1"); err != nil {
		t.Fatal(err)
	}
	if end, err := first.WaitEnd(within(t, 15*time.Second)); err != nil || end.By != sipphone.Remote {
		t.Fatalf("after keying 1: %v, %v; want thanks and hotline's hangup", end, err)
	}
	if _, err := d.WaitStatus(5*time.Second, func(st switchboard.Status) bool {
		return len(st.Queue) == 1 && st.Queue[0].Callback
	}); err != nil {
		t.Fatalf("callback not queued: %v", err)
	}

	if restart {
		d.Restart()
		if _, err := d.WaitStatus(10*time.Second, func(st switchboard.Status) bool {
			return len(st.Queue) == 1 && st.Queue[0].Callback
		}); err != nil {
			t.Fatalf("callback not queued again after the restart: %v", err)
		}
	}
	if !d.FeatureCode(h, "*21") {
		t.Fatal("login: no prompt")
	}
	back, err := caller.Incoming(within(t, 20*time.Second))
	if err != nil {
		t.Fatalf("hotline did not call the caller back: %v", err)
	}
	if err := back.Answer(ctx); err != nil {
		t.Fatal(err)
	}
	operatorTakes(t, h, back, number)
	if err := back.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	back2, last := waitLegEnded(t, d, number)
	if back2.CallbackFor == "" || back2.Outcome != hotline.OutcomeAnswered || last.End != hotline.LegCompleted || last.OperatorID != d.OperatorID("1001") {
		t.Errorf("the call back = %+v, leg %+v; want a call of its own, answered by 1001", back2, last)
	}
	ctx2 := within(t, 5*time.Second)
	asked, err := d.Store.Calls(ctx2, journal.CallFilter{Caller: number, Outcomes: []hotline.CallOutcome{hotline.OutcomeOverflowCallback}})
	if err != nil || len(asked) != 1 || asked[0].Channel != back2.CallbackFor || len(asked[0].Cases) != 1 {
		t.Fatalf("the call that asked = %+v, %v; want one, overflow_callback, on its delayed answer", asked, err)
	}
	// The delayed answer the callback opened is «В работе» for the operator who talked, with both calls.
	cs, err := d.Store.Case(ctx2, asked[0].Cases[0])
	if err != nil || cs.Status != hotline.StatusInProgress || cs.OwnerID != d.OperatorID("1001") || cs.DueAt.IsZero() {
		t.Errorf("case %+v, %v: want «В работе», owned by 1001, with a due date", cs, err)
	}
	if calls, err := d.Store.CaseCalls(ctx2, cs.ID); err != nil || len(calls) != 2 {
		t.Errorf("the case's calls = %+v, %v; want the call that asked and the call back", calls, err)
	}
}
