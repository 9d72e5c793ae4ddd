package integrationtests

import (
	"context"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/ari"
	"github.com/hotline-dev/hotline/integration-tests/hotlinetest"
	"github.com/hotline-dev/hotline/switchboard"
)

// An operator logs in (*21) and pauses with reason 2 (*232) from the handset; hotline serve is
// stopped and started again on the same journal: the operator is paused with reason 2 again
// without touching the handset, and the presence history holds the login, the pause and the
// restore.
func TestPresenceSurvivesRestart(t *testing.T) {
	d := hotlinetest.Start(t, []hotlinetest.Operator{{Extension: "1001"}}, nil)
	h := d.Handset("1001", 300*time.Millisecond)
	if !d.FeatureCode(h, "*21") {
		t.Fatal("login: no prompt")
	}
	if !d.FeatureCode(h, "*232") {
		t.Fatal("pause: no prompt")
	}
	pausedFor2 := func(st switchboard.Status) bool {
		for _, o := range st.Operators {
			if o.Extension == "1001" {
				return o.Presence == hotline.PresencePaused && o.Reason == "2"
			}
		}
		return false
	}
	if _, err := d.WaitStatus(10*time.Second, pausedFor2); err != nil {
		t.Fatalf("operator not paused with reason 2 before the restart: %v", err)
	}
	id := d.OperatorID("1001")
	d.Stop()

	d2 := hotlinetest.StartOnJournal(t, d.Config.Journal.Path, nil)
	st, err := d2.WaitStatus(15*time.Second, pausedFor2)
	if err != nil {
		t.Fatalf("operator not paused with reason 2 after the restart: %v", err)
	}
	t.Logf("after the restart: %+v", st.Operators)

	// In order: logged in and paused from the handset (by the operator), paused again by the
	// daemon's start (by the system). The handset's reachability may add events between (a
	// re-registration): only the order of these three is asserted. The start's event is a plain
	// journal write, applied within the journal's linger: polled.
	op, err := d2.Store.Operator(within(t, 5*time.Second), id)
	if err != nil {
		t.Fatal(err)
	}
	want := []hotline.PresenceEvent{
		{OperatorID: id, Presence: hotline.PresenceAvailable, How: hotline.PresenceByFeatureCode, Actor: op.ActorName()},
		{OperatorID: id, Presence: hotline.PresencePaused, Reason: "2", How: hotline.PresenceByFeatureCode, Actor: op.ActorName()},
		{OperatorID: id, Presence: hotline.PresencePaused, Reason: "2", How: hotline.PresenceByDaemonStart, Actor: "system"},
	}
	var hist []hotline.PresenceEvent
	found := func() int {
		h, err := d2.Store.PresenceHistory(within(t, 5*time.Second), id, time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		hist = h
		i := 0
		for _, e := range hist {
			at := e.At
			e.At = time.Time{}
			if i < len(want) && e == want[i] {
				if at.IsZero() {
					t.Errorf("event %v without a time", e)
				}
				i++
			}
		}
		return i
	}
	deadline := time.Now().Add(5 * time.Second)
	i := found()
	for i < len(want) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		i = found()
	}
	for _, e := range hist {
		t.Logf("history: %v", e)
	}
	if i < len(want) {
		t.Errorf("presence history lacks %v (in order: login, pause, restore); got %v", want[i], hist)
	}

	// The restored operator is really paused: a caller waits in the queue, the handset is not rung.
	c, err := d2.Caller("79007770001").Dial(within(t, 30*time.Second), "100")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d2.WaitStatus(15*time.Second, queued(1)); err != nil {
		t.Fatalf("caller not queued behind the paused operator: %v", err)
	}
	if err := c.Hangup(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// Handsets' reachability comes from AMI (ContactStatus, DeviceStateChange, its device states
// listed at each AMI connection), the ARI application subscribed to no PJSIP endpoint: such a
// subscription sends the application every message of every channel of every PJSIP endpoint,
// callers' and handsets' (docs/benchmark.md, "Session 10, endpoint subscription"). Subscriptions
// an earlier hotline left are dropped at the start; a handset that unregisters is unreachable and
// not rung; registered again, it is offered the waiting caller.
func TestHandsetReachabilityWithoutEndpointSubscription(t *testing.T) {
	d := hotlinetest.Start(t, []hotlinetest.Operator{{Extension: "1001"}}, nil)
	sb := d.Sandbox
	conn, err := ari.New(ari.Config{URL: sb.ARIURL, Username: sb.ARIUser, Password: sb.ARIPassword, Application: sb.ARIApp})
	if err != nil {
		t.Fatal(err)
	}
	ctx := within(t, 120*time.Second)
	// Restart returns once hotline is connected; it drops the leftovers just after: polled, bounded.
	subscribed := func(when string) {
		t.Helper()
		var endpoints []string
		for deadline := time.Now().Add(10 * time.Second); ; {
			app, err := conn.ApplicationData(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if endpoints = app.EndpointIDs; len(endpoints) == 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if len(endpoints) != 0 {
			t.Errorf("%s: application %s still subscribed to endpoints %v after 10 s, want none", when, sb.ARIApp, endpoints)
		}
	}
	// What an earlier hotline left, twice: Asterisk counts subscriptions.
	for range 2 {
		if _, err := conn.Subscribe(ctx, "endpoint:PJSIP"); err != nil {
			t.Fatal(err)
		}
	}
	d.Restart()
	subscribed("after the start")

	presence := func(want hotline.Presence) {
		t.Helper()
		if _, err := d.WaitStatus(15*time.Second, func(st switchboard.Status) bool {
			return hotlinetest.Presence(st, "1001") == want
		}); err != nil {
			t.Fatalf("operator not %s: %v", want, err)
		}
	}
	h := d.Handset("1001", 0)
	if !d.FeatureCode(h, "*21") {
		t.Fatal("login: no prompt")
	}
	presence(hotline.PresenceAvailable)
	if err := h.Close(); err != nil { // unregisters
		t.Fatal(err)
	}
	presence(hotline.PresenceUnreachable)

	c, err := d.Caller("79007770002").Dial(ctx, "100")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.WaitStatus(15*time.Second, queued(1)); err != nil {
		t.Fatalf("caller not queued while the only handset is unregistered: %v", err)
	}
	d.Handset("1001", 0) // registers again
	if err := c.WaitTone(within(t, 30*time.Second), hotlinetest.OperatorTone); err != nil {
		t.Fatalf("caller not answered by the handset registered again: %v", err)
	}
	subscribed("after a call")
	if err := c.Hangup(context.Background()); err != nil {
		t.Fatal(err)
	}
}
