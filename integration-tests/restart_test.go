package integrationtests

import (
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/integration-tests/hotlinetest"
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
	if _, legs := caseOf(t, d, bridged); len(legs) != 1 || legs[0].OperatorID != d.OperatorID("1001") || legs[0].AnsweredAt.IsZero() {
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
