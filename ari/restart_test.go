package ari_test

import (
	"testing"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"
	"github.com/hotline-dev/hotline/ari"
	"github.com/hotline-dev/hotline/integration-tests/sandbox"
)

// TestAsteriskRestart restarts the sandbox Asterisk under a running Conn: the consumer sees
// Disconnected, then Reconnected, and then everything works again. It restarts the whole instance,
// so it runs last in this package (file order) and reloads nothing the other tests need.
func TestAsteriskRestart(t *testing.T) {
	sb := sandbox.Require(t)
	s := start(t, sb, uniq("t-restart"), func(c *ari.Config) {
		c.MinBackoff, c.MaxBackoff = 100*time.Millisecond, time.Second
	})
	before := uniq("before")
	originateEcho(t, s, before)

	if err := sb.Restart(ctxT(t, 120*time.Second)); err != nil {
		t.Fatal(err)
	}
	ev, _ := s.waitFor(60*time.Second, "Disconnected", func(e ari.Event) bool { return e.GetType() == ari.EventDisconnected })
	if ev.(*ari.Disconnected).Err == nil {
		t.Error("Disconnected without a reason")
	}
	ev, skipped := s.waitFor(60*time.Second, "Reconnected", func(e ari.Event) bool { return e.GetType() == ari.EventReconnected })
	if len(skipped) != 0 {
		t.Errorf("events between Disconnected and Reconnected: %v", skipped)
	}
	r := ev.(*ari.Reconnected)
	t.Logf("reconnected after %s, %d attempts", r.Downtime, r.Attempts)
	if r.Downtime <= 0 || r.Attempts < 1 {
		t.Errorf("Reconnected %+v: want a downtime and at least one attempt", r)
	}

	ctx := ctxT(t, 30*time.Second)
	// Reconciling: the channel from before the restart is gone, as Asterisk now says.
	chans, err := s.Channels(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range chans {
		if ch.ID == before {
			t.Errorf("channel %s survived an Asterisk restart", before)
		}
	}
	if _, err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	// And the event stream works again.
	after := uniq("after")
	originateEcho(t, s, after)
	if err := s.Channel(after).Hangup(ctx, ""); err != nil {
		t.Fatal(err)
	}
	s.waitFor(10*time.Second, "StasisEnd", func(e ari.Event) bool {
		se, ok := e.(*ariv6.StasisEnd)
		return ok && se.Channel.ID == after
	})
	if st := s.Stats(); st.Reconnects != 1 || !st.Connected {
		t.Errorf("stats %+v: want 1 reconnect and connected", st)
	}
}
