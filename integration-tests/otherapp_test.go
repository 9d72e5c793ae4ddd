package integrationtests

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"
	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/ari"
	"github.com/hotline-dev/hotline/daemon"
	"github.com/hotline-dev/hotline/integration-tests/hotlinetest"
	"github.com/hotline-dev/hotline/switchboard"
	"github.com/hotline-dev/hotline/switchboard/ariadapter"
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

// One daemon per ARI application (issue 19: a second hotline serve with its own journal but the
// same ari.app silently took every new call). The second is refused, naming who serves it, and
// the first keeps serving: a call still reaches it. Told --take-over, the second takes the
// application: the first says it was replaced (status, not connected) and does not take it back
// at its next reconnection. The first's restart on its own journal is never refused: see
// TestDaemonKilledMidCallThenRestarted and TestRestartOnOwnJournalNotRefused.
func TestSecondDaemonReplacesTheFirst(t *testing.T) {
	first := hotlinetest.Start(t, nil, nil)

	_, err := hotlinetest.TryStart(t, nil, nil, daemon.Options{})
	if err == nil {
		t.Fatal("a second daemon with its own journal started while the first serves the application")
	}
	if hotline.ErrorCode(err) != hotline.ECONFLICT {
		t.Errorf("refusal code %q, want %q (exit 4): %v", hotline.ErrorCode(err), hotline.ECONFLICT, err)
	}
	host, _ := os.Hostname()
	for _, w := range []string{first.Config.ARI.App, "host " + host, fmt.Sprintf("pid %d", os.Getpid()), "since", "--take-over"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("refusal %q does not say %q", err, w)
		}
	}
	// The first still serves: connected, not replaced, and a call reaches it.
	if st, err := first.WaitStatus(5*time.Second, func(st switchboard.Status) bool { return true }); err != nil || st.Replaced || !st.Connected {
		t.Fatalf("the first daemon after the refused start: %+v, %v; want connected, not replaced", st, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := first.Caller("79004440001").Dial(ctx, "100")
	if err != nil {
		t.Fatalf("the hotline number did not answer after the refused start: %v", err)
	}
	if _, err := first.WaitStatus(15*time.Second, func(st switchboard.Status) bool { return len(st.Queue) == 1 }); err != nil {
		t.Fatalf("the call did not reach the first daemon: %v", err)
	}
	_ = c.Hangup(ctx)
	if _, err := first.WaitStatus(10*time.Second, func(st switchboard.Status) bool { return len(st.Queue) == 0 }); err != nil {
		t.Fatalf("the caller's hang-up did not reach the first daemon: %v", err)
	}

	second, err := hotlinetest.TryStart(t, nil, nil, daemon.Options{TakeOver: true})
	if err != nil {
		t.Fatalf("the second daemon told to take over: %v", err)
	}
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
	// The replaced first stops cleanly: the lease stays the second's, so a third journal is
	// still refused.
	first.Stop()
	if _, err := hotlinetest.TryStart(t, nil, nil, daemon.Options{}); hotline.ErrorCode(err) != hotline.ECONFLICT {
		t.Fatalf("a third daemon after the replaced one stopped: %v, want refused: the second serves", err)
	}
	// A clean stop gives the application back: the next daemon, any journal, starts at once.
	second.Stop()
	if _, err := hotlinetest.TryStart(t, nil, nil, daemon.Options{}); err != nil {
		t.Fatalf("a daemon after the serving one stopped cleanly: %v", err)
	}
}

// A daemon restarted on its own journal right after it was stopped without giving the
// application back (as kill -9 leaves it) starts at once: the lease is its journal's.
func TestRestartOnOwnJournalNotRefused(t *testing.T) {
	d := hotlinetest.Start(t, nil, nil)
	sb := d.Sandbox
	conn, err := ari.New(ari.Config{URL: sb.ARIURL, Username: sb.ARIUser, Password: sb.ARIPassword, Application: "lease-probe"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name := ariadapter.LeaseVariable(d.Config.ARI.App)
	kept, err := conn.GlobalVariable(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	lease, ok := ariadapter.ParseLease(kept)
	if !ok || lease.PID != os.Getpid() {
		t.Fatalf("lease while serving: %q; want this process's", kept)
	}
	d.Stop()
	// What kill -9 leaves: the lease, fresh, as the daemon last renewed it.
	if err := conn.SetGlobalVariable(ctx, name, kept); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r := hotlinetest.StartOnJournal(t, d.Config.Journal.Path, nil)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("restart on its own journal took %s", took)
	}
	r.Stop()
	if v, err := conn.GlobalVariable(ctx, name); err != nil || v != "" {
		t.Errorf("lease after a clean stop: %q, %v; want given back", v, err)
	}
}
