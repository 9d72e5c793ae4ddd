package integrationtests

import (
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/integration-tests/hotlinetest"
	"github.com/hotline-dev/hotline/integration-tests/sipphone"
	"github.com/hotline-dev/hotline/switchboard"
)

// Asterisk restarts with one call bridged and one caller queued: both calls are cut (Asterisk
// drops every channel); the daemon reconnects by itself, files each cut call as ended "failed",
// and takes and connects the next call without a restart of its own.
func TestAsteriskRestartDuringQueuedAndBridgedCalls(t *testing.T) {
	d := hotlinetest.Start(t, []hotlinetest.Operator{{Extension: "1001"}}, nil)
	h := d.Handset("1001", 300*time.Millisecond)
	if !d.FeatureCode(h, "*21") {
		t.Fatal("login: no prompt")
	}
	const bridged, queuedNum, after = "79006660001", "79006660002", "79006660003"
	ctx := within(t, 180*time.Second)
	a, err := d.Caller(bridged).Dial(ctx, "100")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Incoming(within(t, 20*time.Second)); err != nil {
		t.Fatalf("operator not rung: %v", err)
	}
	if err := a.WaitTone(within(t, 10*time.Second), hotlinetest.OperatorTone); err != nil {
		t.Fatalf("first caller does not hear the operator: %v", err)
	}
	b, err := d.Caller(queuedNum).Dial(ctx, "100")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.WaitStatus(15*time.Second, queued(1)); err != nil {
		t.Fatalf("second caller not queued: %v", err)
	}

	if err := d.Sandbox.Restart(within(t, 120*time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := a.WaitEnd(within(t, 30*time.Second)); err != nil {
		t.Errorf("bridged caller's call did not end with Asterisk: %v", err)
	}
	if _, err := b.WaitEnd(within(t, 30*time.Second)); err != nil {
		t.Errorf("queued caller's call did not end with Asterisk: %v", err)
	}
	_, err = d.WaitStatus(60*time.Second, func(st switchboard.Status) bool {
		return st.Connected && st.Calls == 0 && len(st.Queue) == 0
	})
	if err != nil {
		t.Fatalf("daemon not reconnected with the cut calls cleared: %v", err)
	}
	for _, n := range []string{bridged, queuedNum} {
		_, leg := waitLegEnded(t, d, n)
		if leg.End != hotline.LegFailed {
			t.Errorf("caller %s: leg ended %q, want failed (cut by the restart)", n, leg.End)
		}
	}
	if _, legs := callOf(t, d, bridged); len(legs) != 1 || legs[0].OperatorID != d.OperatorID("1001") || legs[0].AnsweredAt.IsZero() {
		t.Errorf("bridged caller's legs = %+v, want one, answered by 1001", legs)
	}

	// The next call is taken and connected. The handset registered again (or its contact survived
	// in Asterisk's database): the operator is available after the wrap-up.
	if _, err := d.WaitStatus(60*time.Second, func(st switchboard.Status) bool {
		return hotlinetest.Presence(st, "1001") == hotline.PresenceAvailable
	}); err != nil {
		t.Fatalf("operator not available after the restart: %v", err)
	}
	c, err := d.Caller(after).Dial(within(t, 30*time.Second), "100")
	if err != nil {
		t.Fatalf("the hotline does not answer after Asterisk restarted: %v", err)
	}
	if _, err := h.Incoming(within(t, 30*time.Second)); err != nil {
		t.Fatalf("operator not rung after the restart: %v", err)
	}
	if err := c.WaitTone(within(t, 10*time.Second), hotlinetest.OperatorTone); err != nil {
		t.Errorf("caller after the restart does not hear the operator: %v", err)
	}
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, leg := waitLegEnded(t, d, after); leg.End != hotline.LegCompleted {
		t.Errorf("call after the restart ended %q, want completed", leg.End)
	}
}

// The daemon stops (context cancelled: SIGTERM, an upgrade) with one call bridged and one caller
// queued, and starts again on the same journal: the bridged call talks on and is adopted, the
// waiting caller keeps waiting and is re-queued; each call ends with one case and one correct leg.
func TestDaemonRestartMidCall(t *testing.T) {
	d := hotlinetest.Start(t, []hotlinetest.Operator{{Extension: "1001"}}, nil)
	h := d.Handset("1001", 300*time.Millisecond)
	if !d.FeatureCode(h, "*21") {
		t.Fatal("login: no prompt")
	}
	const talking, waiting = "79007770001", "79007770002"
	ctx := within(t, 120*time.Second)
	a, in, b := talkingAndWaiting(t, ctx, d, h, talking, waiting)

	d.Restart()

	if _, err := d.WaitStatus(15*time.Second, func(st switchboard.Status) bool {
		return st.Calls == 2 && len(st.Queue) == 1 && st.Queue[0].CallerNumber == "+"+waiting &&
			hotlinetest.Presence(st, "1001") == hotline.PresenceTalking
	}); err != nil {
		t.Fatalf("after the restart: want the bridged call adopted and the waiting caller re-queued: %v", err)
	}
	// Both calls are still up and the bridged pair still hear each other.
	heard := a.Stats().Tones[hotlinetest.OperatorTone]
	if err := heardMore(within(t, 10*time.Second), a, hotlinetest.OperatorTone, heard); err != nil {
		t.Errorf("bridged caller lost the operator over the restart: %v", err)
	}
	if st := b.State(); st == sipphone.Ended {
		t.Fatalf("waiting caller dropped by the restart: %v", b.End())
	}

	// The adopted call ends normally; then the operator gets the waiting caller.
	if err := a.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	_, leg := waitLegEnded(t, d, talking)
	if _, legs := callOf(t, d, talking); len(legs) != 1 || leg.End != hotline.LegCompleted || leg.OperatorID != d.OperatorID("1001") || leg.RecordingName == "" {
		t.Errorf("adopted call's legs = %+v, want one, completed by 1001, recorded", legs)
	}
	_ = in // the first call's handset: hung up by the wrap-up
	in2, err := h.Incoming(within(t, 30*time.Second))
	if err != nil {
		t.Fatalf("re-queued caller never offered: %v", err)
	}
	if got := in2.Caller().User; got != "+"+waiting {
		t.Errorf("operator rung for %q, want the re-queued caller %s", got, waiting)
	}
	if err := b.WaitTone(within(t, 10*time.Second), hotlinetest.OperatorTone); err != nil {
		t.Errorf("re-queued caller does not hear the operator: %v", err)
	}
	if err := b.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	_, leg = waitLegEnded(t, d, waiting)
	if _, legs := callOf(t, d, waiting); len(legs) != 1 || leg.End != hotline.LegCompleted || leg.QueuedAt.IsZero() {
		t.Errorf("re-queued caller's legs = %+v, want one, queued then completed", legs)
	}
}
