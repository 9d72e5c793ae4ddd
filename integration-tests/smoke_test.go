package integrationtests

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v6"
	"github.com/CyCoreSystems/ari/v6/client/native"
	"github.com/hotline-dev/hotline/integration-tests/sandbox"
	"github.com/hotline-dev/hotline/integration-tests/sipphone"
)

// greeter is the smallest ARI program: on StasisStart it answers the channel and plays a
// greeting. It reports each channel it answered on greeted.
func greeter(ctx context.Context, t *testing.T, cl ari.Client, caller string, greeted chan<- *ari.Key) {
	sub := cl.Bus().Subscribe(nil, ari.Events.StasisStart)
	defer sub.Cancel()
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-sub.Events():
			if !ok {
				return
			}
			start, ok := e.(*ari.StasisStart)
			if !ok || start.Channel.Caller == nil || start.Channel.Caller.Number != caller {
				continue // not our test's call
			}
			key := start.Key(ari.ChannelKey, start.Channel.ID)
			h := cl.Channel().Get(key)
			if err := h.Answer(); err != nil {
				t.Errorf("ARI answer %s: %v", start.Channel.ID, err)
				continue
			}
			if _, err := h.Play("greeting-"+start.Channel.ID, "sound:hello-world"); err != nil {
				t.Errorf("ARI play on %s: %v", start.Channel.ID, err)
				continue
			}
			select {
			case greeted <- key:
			case <-ctx.Done():
				return
			}
		}
	}
}

// TestSmokeCallerHearsGreeting is the end-to-end smoke test: a caller on the trunk calls the
// hotline number, a minimal ARI program answers and plays the greeting, the caller hears it and
// hangs up, and nothing of the call is left in Asterisk.
func TestSmokeCallerHearsGreeting(t *testing.T) {
	sb := sandbox.Require(t)
	ctx := testContext(t, 60*time.Second)

	// The dialplan sends 100 to the application named by sb.ARIApp; a second program connected
	// under that name (hotline itself) would take the calls over, so run this where it is not.
	// Ending connCtx stops the client. Its Close races with its own listener (ari/v6 writes a
	// "connected" flag from both without a lock, which -race reports), so it is not called.
	connCtx, disconnect := context.WithCancel(ctx)
	defer disconnect()
	cl, err := native.ConnectWithContext(connCtx, &native.Options{
		Application:  sb.ARIApp,
		URL:          sb.ARIURL,
		WebsocketURL: sb.ARIWebsocket,
		Username:     sb.ARIUser,
		Password:     sb.ARIPassword,
	})
	if err != nil {
		t.Fatalf("connect to ARI at %s as application %q: %v", sb.ARIURL, sb.ARIApp, err)
	}

	// A caller number of its own, so that the ARI program touches only this test's call.
	number := fmt.Sprintf("7900%07d", rand.IntN(10_000_000))
	greeted := make(chan *ari.Key, 1)
	gctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		greeter(gctx, t, cl, number, greeted)
	}()
	defer func() { stop(); <-done }()

	caller, err := sipphone.New(ctx, sipphone.Config{Server: sb.SIPAddr, User: number, DisplayName: "Smoke caller", Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer caller.Close()

	call, err := caller.Dial(ctx, "100")
	if err != nil {
		t.Fatalf("caller %s dials the hotline 100: %v", number, err)
	}
	var channel *ari.Key
	select {
	case channel = <-greeted:
	case <-ctx.Done():
		t.Fatalf("the ARI program saw no StasisStart for caller %s", number)
	}
	if err := call.WaitAudio(ctx); err != nil {
		t.Fatalf("caller hears the greeting: %v", err)
	}
	if err := call.Hangup(ctx); err != nil {
		t.Fatalf("caller hangs up: %v", err)
	}
	if end := call.End(); end.By != sipphone.Local {
		t.Errorf("call ended %v, want by the caller", end)
	}

	// Nothing left running: Asterisk forgets the channel (bounded wait: hangup is asynchronous).
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := cl.Channel().Data(channel); err != nil {
			break // 404: gone
		}
		if time.Now().After(deadline) {
			t.Fatalf("channel %s still exists in Asterisk 10 s after the caller hung up", channel.ID)
		}
		time.Sleep(100 * time.Millisecond)
	}
	keys, err := cl.Channel().List(nil)
	if err != nil {
		t.Fatalf("list channels: %v", err)
	}
	for _, k := range keys {
		if d, err := cl.Channel().Data(k); err == nil && d.Caller != nil && d.Caller.Number == number {
			t.Errorf("a channel of caller %s is still up: %s", number, d.Name)
		}
	}
}

// When the hotline hangs up (here: the ARI program, after its greeting), the caller sees a BYE.
func TestHotlineHangsUpCaller(t *testing.T) {
	sb := sandbox.Require(t)
	ctx := testContext(t, 60*time.Second)
	connCtx, disconnect := context.WithCancel(ctx)
	defer disconnect()
	cl, err := native.ConnectWithContext(connCtx, &native.Options{
		Application: sb.ARIApp, URL: sb.ARIURL, WebsocketURL: sb.ARIWebsocket, Username: sb.ARIUser, Password: sb.ARIPassword,
	})
	if err != nil {
		t.Fatalf("connect to ARI at %s as application %q: %v", sb.ARIURL, sb.ARIApp, err)
	}
	number := fmt.Sprintf("7901%07d", rand.IntN(10_000_000))
	sub := cl.Bus().Subscribe(nil, ari.Events.StasisStart)
	defer sub.Cancel()
	done := make(chan error, 1)
	dialed := make(chan struct{}) // the caller has its 200 OK: hang up only then
	go func() {
		for {
			select {
			case <-connCtx.Done():
				done <- connCtx.Err()
				return
			case e := <-sub.Events():
				start, ok := e.(*ari.StasisStart)
				if !ok || start.Channel.Caller == nil || start.Channel.Caller.Number != number {
					continue
				}
				h := cl.Channel().Get(start.Key(ari.ChannelKey, start.Channel.ID))
				if err := h.Answer(); err != nil {
					done <- err
					return
				}
				select {
				case <-dialed:
				case <-connCtx.Done():
					done <- connCtx.Err()
					return
				}
				done <- h.Hangup()
				return
			}
		}
	}()

	caller, err := sipphone.New(ctx, sipphone.Config{Server: sb.SIPAddr, User: number, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer caller.Close()
	call, err := caller.Dial(ctx, "100")
	if err != nil {
		t.Fatalf("caller dials 100: %v", err)
	}
	close(dialed)
	if err := <-done; err != nil {
		t.Fatalf("ARI program: %v", err)
	}
	end, err := call.WaitEnd(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if end.By != sipphone.Remote || end.Reason != "BYE received" {
		t.Errorf("caller's call ended %v, want a BYE from the hotline", end)
	}
}
