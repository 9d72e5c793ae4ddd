package integrationtests

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"
	"github.com/hotline-dev/hotline/ari"
	"github.com/hotline-dev/hotline/integration-tests/hotlinetest"
	"github.com/hotline-dev/hotline/switchboard"
)

// Another ARI application on the same PBX keeps its calls when hotline starts (issue 19: hotline's
// reconciliation sent every channel it did not know back to the dialplan, another application's
// too). The other application holds a channel; hotline restarts and reconciles; the channel stays
// in the other application, and hotline's own leftovers are still handled.
func TestOtherApplicationKeepsItsChannels(t *testing.T) {
	d := hotlinetest.Start(t, nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sb := d.Sandbox
	other, err := ari.New(ari.Config{URL: sb.ARIURL, WebsocketURL: sb.ARIWebsocket, Username: sb.ARIUser, Password: sb.ARIPassword,
		Application: "otherapp", Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- other.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-ran })
	wait := func(what string, match func(ari.Event) bool) {
		t.Helper()
		for {
			select {
			case ev := <-other.Events():
				if match(ev) {
					return
				}
			case <-ctx.Done():
				t.Fatalf("otherapp: no %s", what)
			}
		}
	}
	wait("connection", func(ev ari.Event) bool { _, ok := ev.(*ari.Connected); return ok })
	id := fmt.Sprintf("otherapp-%d", time.Now().UnixNano())
	if _, err := other.Originate(ctx, ari.OriginateRequest{Endpoint: "Local/*43@hotline-operators", ChannelID: id, App: "otherapp"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Channel(id).Hangup(context.Background(), ari.HangupNormal) })
	wait("StasisStart of its channel", func(ev ari.Event) bool {
		s, ok := ev.(*ariv6.StasisStart)
		return ok && s.Channel.ID == id
	})

	d.Restart() // hotline reconciles with every channel Asterisk has, otherapp's among them

	// The reconciliation's grace for strangers is 3 s; what it would do to the channel is done
	// well within 8 s. Whatever otherapp hears meanwhile, its channel must not leave it.
	quiet := time.After(8 * time.Second)
	for {
		select {
		case ev := <-other.Events():
			if e, ok := ev.(*ariv6.StasisEnd); ok && e.Channel.ID == id {
				t.Fatalf("hotline took otherapp's channel %s out of its application", id)
			}
		case <-quiet:
			ch, err := other.Channel(id).Data(ctx)
			if err != nil || ch.Dialplan == nil || ch.Dialplan.AppName != "Stasis" {
				t.Fatalf("otherapp's channel after hotline's start: %+v, %v; want still in Stasis", ch, err)
			}
			return
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		}
	}
}

// A second hotline serve with the same ari.app takes the application: the first says so (its
// status: replaced, not connected) and stops acting on Asterisk instead of taking it back at its
// next reconnection (issue 19: it stayed "healthy" and the two could fight over it).
func TestSecondDaemonReplacesTheFirst(t *testing.T) {
	first := hotlinetest.Start(t, nil, nil)
	second := hotlinetest.Start(t, nil, nil)
	if _, err := first.WaitStatus(15*time.Second, func(st switchboard.Status) bool { return st.Replaced && !st.Connected }); err != nil {
		t.Fatalf("the first daemon does not say it was replaced: %v", err)
	}
	// The second keeps the application: the first does not reconnect and take it back. Asterisk
	// reconnection attempts come within a second or two; this watches well past them.
	deadline := time.Now().Add(6 * time.Second)
	for time.Now().Before(deadline) {
		st, err := second.WaitStatus(5*time.Second, func(st switchboard.Status) bool { return true })
		if err != nil || st.Replaced || !st.Connected {
			t.Fatalf("the second daemon lost the application: %+v, %v", st, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
