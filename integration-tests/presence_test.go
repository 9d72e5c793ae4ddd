package integrationtests

import (
	"context"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
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

	hist, err := d2.Store.PresenceHistory(within(t, 5*time.Second), id, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	// In order: logged in and paused from the handset (by the operator), paused again by the
	// daemon's start (by the system). The handset's reachability may add events between (a
	// re-registration): only the order of these three is asserted.
	op, err := d2.Store.Operator(within(t, 5*time.Second), id)
	if err != nil {
		t.Fatal(err)
	}
	want := []hotline.PresenceEvent{
		{OperatorID: id, Presence: hotline.PresenceAvailable, How: hotline.PresenceByFeatureCode, Actor: op.ActorName()},
		{OperatorID: id, Presence: hotline.PresencePaused, Reason: "2", How: hotline.PresenceByFeatureCode, Actor: op.ActorName()},
		{OperatorID: id, Presence: hotline.PresencePaused, Reason: "2", How: hotline.PresenceByDaemonStart, Actor: "system"},
	}
	i := 0
	for _, e := range hist {
		t.Logf("history: %v", e)
		at := e.At
		e.At = time.Time{}
		if i < len(want) && e == want[i] {
			if at.IsZero() {
				t.Errorf("event %v without a time", e)
			}
			i++
		}
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
