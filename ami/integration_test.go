package ami_test

// Tests against the real sandbox Asterisk (asterisk-conf/sandbox; HOTLINE_SANDBOX_INSTANCE picks
// the instance). They fail, never skip, when it is not running.

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline/ami"
	"github.com/hotline-dev/hotline/integration-tests/sandbox"
)

func dialSandbox(t *testing.T, auth ami.Auth) (*ami.Client, sandbox.Config) {
	t.Helper()
	cfg := sandbox.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := ami.Dial(ctx, ami.Config{
		Addr: cfg.AMIAddr, Username: cfg.AMIUser, Secret: cfg.AMIPassword, Auth: auth,
		ReconnectMin: 200 * time.Millisecond, ReconnectMax: 2 * time.Second,
	})
	if err != nil {
		t.Fatalf("dial sandbox AMI at %s: %v", cfg.AMIAddr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c, cfg
}

func TestSandboxLogin(t *testing.T) {
	cfg := sandbox.Require(t)
	tests := []struct {
		name    string
		auth    ami.Auth
		secret  string
		wantErr bool
	}{
		{"plain", ami.AuthPlain, cfg.AMIPassword, false},
		{"md5", ami.AuthMD5, cfg.AMIPassword, false},
		{"plain wrong secret", ami.AuthPlain, "wrong", true},
		{"md5 wrong secret", ami.AuthMD5, "wrong", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := ami.Dial(ctx, ami.Config{Addr: cfg.AMIAddr, Username: cfg.AMIUser, Secret: tt.secret, Auth: tt.auth})
			if tt.wantErr {
				if !errors.Is(err, ami.ErrLogin) {
					t.Fatalf("Dial with a wrong secret: got %v, want ErrLogin", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			defer c.Close()
			if err := c.Ping(ctx); err != nil {
				t.Fatalf("Ping after login: %v", err)
			}
			if err := c.Logoff(ctx); err != nil {
				t.Fatalf("Logoff: %v", err)
			}
			if err := c.Ping(ctx); !errors.Is(err, ami.ErrClosed) {
				t.Fatalf("Ping after Logoff: got %v, want ErrClosed", err)
			}
		})
	}
}

func TestSandboxLists(t *testing.T) {
	c, cfg := dialSandbox(t, ami.AuthMD5)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()

	eps, err := c.PJSIPShowEndpoints(ctx)
	if err != nil {
		t.Fatalf("PJSIPShowEndpoints: %v", err)
	}
	names := map[string]ami.Endpoint{}
	for _, e := range eps {
		names[e.Name] = e
	}
	for _, want := range []string{"1001", "1002", "1060", "2001"} {
		if _, ok := names[want]; !ok {
			t.Errorf("PJSIPShowEndpoints: endpoint %s missing among %d", want, len(eps))
		}
	}
	if e := names["1001"]; e.Aor != "1001" || e.Transport == "" {
		t.Errorf("endpoint 1001 decoded as %+v", e)
	}

	states, err := c.DeviceStateList(ctx)
	if err != nil {
		t.Fatalf("DeviceStateList: %v", err)
	}
	found := false
	for _, d := range states {
		if d.Device == "PJSIP/1001" {
			found = d.State != ""
		}
	}
	if !found {
		t.Errorf("DeviceStateList: no state for PJSIP/1001 among %d devices", len(states))
	}

	if _, err := c.PJSIPShowContacts(ctx); err != nil {
		t.Errorf("PJSIPShowContacts: %v", err)
	}
	if _, err := c.CoreShowChannels(ctx); err != nil {
		t.Errorf("CoreShowChannels: %v", err)
	}

	out, err := c.Command(ctx, "core show version")
	if err != nil {
		t.Fatalf("Command: %v", err)
	}
	if !strings.HasPrefix(out, "Asterisk 22") {
		t.Errorf("core show version = %q, want Asterisk 22...", out)
	}
	// Multi-line output arrives as one Output header per line.
	out, err = c.Command(ctx, "manager show connected")
	if err != nil || strings.Count(out, "\n") < 1 || !strings.Contains(out, cfg.AMIUser) {
		t.Errorf("manager show connected = %q, %v; want several lines naming %s", out, err, cfg.AMIUser)
	}

	// An error answer carries the action and Asterisk's message.
	err = c.Hangup(ctx, "PJSIP/no-such-channel-00000000", 0)
	var ae *ami.ActionError
	if !errors.As(err, &ae) || ae.Action != "Hangup" || ae.Message == "" || !errors.Is(err, ami.ErrActionFailed) {
		t.Errorf("Hangup of a missing channel: got %v, want an ActionError for Hangup", err)
	}
}

func TestSandboxOriginate(t *testing.T) {
	c, _ := dialSandbox(t, ami.AuthPlain)
	sub := c.Subscribe("Newchannel", "Hangup", "OriginateResponse")
	defer sub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// *43 answers and runs Echo(): the originated Local channel is up until we hang it up.
	resp, err := c.Originate(ctx, ami.Originate{
		Channel: "Local/*43@hotline-operators", Application: "Wait", Data: "20", Timeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatalf("Originate: %v", err)
	}
	if resp.Reason != 4 || !strings.HasPrefix(resp.Channel, "Local/*43@hotline-operators-") || resp.Uniqueid == "" {
		t.Fatalf("OriginateResponse = %+v, want answered (reason 4) on the Local channel", resp)
	}

	chans, err := c.CoreShowChannels(ctx)
	if err != nil {
		t.Fatalf("CoreShowChannels: %v", err)
	}
	seen := false
	for _, ch := range chans {
		seen = seen || ch.Uniqueid == resp.Uniqueid
	}
	if !seen {
		t.Errorf("CoreShowChannels: originated channel %s not listed among %d", resp.Uniqueid, len(chans))
	}

	if err := c.Hangup(ctx, resp.Channel, 16); err != nil {
		t.Fatalf("Hangup %s: %v", resp.Channel, err)
	}

	var newch, hangup, origResp bool
	for !(newch && hangup && origResp) {
		select {
		case ev := <-sub.Events():
			switch e := ev.Decode().(type) {
			case *ami.Newchannel:
				newch = newch || e.Uniqueid == resp.Uniqueid
			case *ami.Hangup:
				hangup = hangup || e.Uniqueid == resp.Uniqueid
			case *ami.OriginateResponse:
				origResp = origResp || e.Uniqueid == resp.Uniqueid
			}
			if ev.Dropped > 0 {
				t.Errorf("subscription dropped %d events", ev.Dropped)
			}
		case <-ctx.Done():
			t.Fatalf("events for %s: Newchannel %v, Hangup %v, OriginateResponse %v; want all", resp.Uniqueid, newch, hangup, origResp)
		}
	}
}

// waitFor reads sub until match returns true for a decoded event.
func waitFor(t *testing.T, ctx context.Context, sub *ami.Subscription, what string, match func(ami.Event) bool) {
	t.Helper()
	for {
		select {
		case ev, ok := <-sub.Events():
			if !ok {
				t.Fatalf("%s: subscription closed", what)
			}
			if ev.Dropped > 0 {
				t.Errorf("%s: subscription dropped %d events", what, ev.Dropped)
			}
			if ev.Message != nil && match(ev) {
				return
			}
		case <-ctx.Done():
			t.Fatalf("%s: not seen before the deadline", what)
		}
	}
}

func channelByUniqueid(t *testing.T, ctx context.Context, c *ami.Client, uniqueid string) (ami.ChannelInfo, bool) {
	t.Helper()
	chans, err := c.CoreShowChannels(ctx)
	if err != nil {
		t.Fatalf("CoreShowChannels: %v", err)
	}
	for _, ch := range chans {
		if ch.Uniqueid == uniqueid {
			return ch, true
		}
	}
	return ami.ChannelInfo{}, false
}

// Redirect moves a channel parked in Wait() to the echo test; CoreShowChannels shows it there.
func TestSandboxRedirect(t *testing.T) {
	c, _ := dialSandbox(t, ami.AuthMD5)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := c.Originate(ctx, ami.Originate{Channel: "Local/*43@hotline-operators", Application: "Wait", Data: "30"})
	if err != nil {
		t.Fatalf("Originate: %v", err)
	}
	defer c.Hangup(context.Background(), resp.Channel, 16)
	if ch, _ := channelByUniqueid(t, ctx, c, resp.Uniqueid); ch.Application != "Wait" {
		t.Fatalf("originated channel runs %q, want Wait", ch.Application)
	}
	if err := c.Redirect(ctx, ami.Redirect{Channel: resp.Channel, Context: "hotline-operators", Exten: "*43"}); err != nil {
		t.Fatalf("Redirect: %v", err)
	}
	for {
		ch, ok := channelByUniqueid(t, ctx, c, resp.Uniqueid)
		if !ok {
			t.Fatalf("channel %s gone after Redirect", resp.Uniqueid)
		}
		if ch.Application == "Echo" {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("after Redirect the channel runs %q, want Echo", ch.Application)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// bridgedCall originates a Local channel that dials the echo test and waits until both are in
// their bridge: the transferer (the originated channel) and the far end's channel.
func bridgedCall(t *testing.T, ctx context.Context, c *ami.Client, sub *ami.Subscription) (transferer *ami.OriginateResponse, callee string) {
	t.Helper()
	resp, err := c.Originate(ctx, ami.Originate{Channel: "Local/*43@hotline-operators", Application: "Dial", Data: "Local/*43@hotline-operators"})
	if err != nil {
		t.Fatalf("Originate: %v", err)
	}
	t.Cleanup(func() { c.Hangup(context.Background(), resp.Channel, 16) })
	waitFor(t, ctx, sub, "DialEnd of the bridged call", func(e ami.Event) bool {
		d, ok := e.Decode().(*ami.DialEnd)
		if ok && d.Caller != nil && d.Caller.Uniqueid == resp.Uniqueid && d.DialStatus == "ANSWER" {
			callee = d.Dest.Channel
			return true
		}
		return false
	})
	t.Cleanup(func() { c.Hangup(context.Background(), callee, 16) })
	// DialEnd comes before the two enter their bridge; a transfer before that is "invalid".
	// BridgeEnter has no type here: the raw message serves.
	waitFor(t, ctx, sub, "BridgeEnter of the caller", func(e ami.Event) bool {
		return e.Name == "BridgeEnter" && e.Message.Field("Uniqueid") == resp.Uniqueid
	})
	return resp, callee
}

// A bridged call blind-transferred by AMI: the BlindTransfer event decodes with its channels.
func TestSandboxBlindTransfer(t *testing.T) {
	c, _ := dialSandbox(t, ami.AuthMD5)
	sub := c.Subscribe("DialEnd", "BridgeEnter", "BlindTransfer")
	defer sub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, callee := bridgedCall(t, ctx, c, sub)
	if err := c.BlindTransfer(ctx, resp.Channel, "hotline-operators", "*43"); err != nil {
		t.Fatalf("BlindTransfer: %v", err)
	}
	waitFor(t, ctx, sub, "BlindTransfer event", func(e ami.Event) bool {
		b, ok := e.Decode().(*ami.BlindTransfer)
		return ok && b.Transferer.Uniqueid == resp.Uniqueid && b.Result == "Success" && b.Extension == "*43" &&
			b.Bridge.Uniqueid != "" && b.Transferee != nil && b.Transferee.Channel == callee
	})
}

// Atxfer reaches Asterisk, which refuses it here: asterisk-conf/features.conf deliberately sets
// no atxfer code (hotline runs transfers itself), and Atxfer works only through that feature.
// The refusal must come back as an ActionError carrying Asterisk's reason.
func TestSandboxAtxfer(t *testing.T) {
	c, _ := dialSandbox(t, ami.AuthMD5)
	sub := c.Subscribe("DialEnd", "BridgeEnter")
	defer sub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, _ := bridgedCall(t, ctx, c, sub)
	err := c.Atxfer(ctx, resp.Channel, "hotline-operators", "*43")
	var ae *ami.ActionError
	if !errors.As(err, &ae) || ae.Action != "Atxfer" || !strings.Contains(ae.Message, "feature code") {
		t.Fatalf("Atxfer without an atxfer feature code: got %v, want Asterisk's refusal", err)
	}
}

func TestSandboxReload(t *testing.T) {
	c, _ := dialSandbox(t, ami.AuthPlain)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.Reload(ctx, "res_pjsip.so"); err != nil {
		t.Fatalf("Reload res_pjsip.so: %v", err)
	}
	if err := c.Reload(ctx, "no_such_module.so"); !errors.Is(err, ami.ErrActionFailed) {
		t.Fatalf("Reload of a missing module: got %v, want ErrActionFailed", err)
	}
	// Still answering afterwards.
	if eps, err := c.PJSIPShowEndpoints(ctx); err != nil || len(eps) == 0 {
		t.Fatalf("PJSIPShowEndpoints after reload: %d endpoints, %v", len(eps), err)
	}
}

func TestSandboxRestart(t *testing.T) {
	c, cfg := dialSandbox(t, ami.AuthMD5)
	sub := c.Subscribe("Hangup")
	defer sub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if ev := <-sub.Events(); ev.State != ami.StateConnected {
		t.Fatalf("first item = %+v, want StateConnected", ev)
	}

	if err := cfg.Restart(ctx); err != nil {
		t.Fatalf("restart Asterisk: %v", err)
	}
	var got []ami.ConnState
	for len(got) < 2 {
		select {
		case ev := <-sub.Events():
			if ev.State != 0 {
				got = append(got, ev.State)
			}
		case <-ctx.Done():
			t.Fatalf("after restart got states %v, want [disconnected reconnected]", got)
		}
	}
	if got[0] != ami.StateDisconnected || got[1] != ami.StateReconnected {
		t.Fatalf("after restart got states %v, want [disconnected reconnected]", got)
	}
	if c.State() != ami.StateReconnected || c.Stats().Reconnects < 1 {
		t.Errorf("State %v, Reconnects %d after reconnect", c.State(), c.Stats().Reconnects)
	}
	out, err := c.Command(ctx, "core show version")
	if err != nil || !strings.HasPrefix(out, "Asterisk") {
		t.Fatalf("Command after reconnect: %q, %v", out, err)
	}
	// Events flow again on the new connection, to the same subscription.
	resp, err := c.Originate(ctx, ami.Originate{Channel: "Local/*43@hotline-operators", Application: "Wait", Data: "0.1"})
	if err != nil {
		t.Fatalf("Originate after reconnect: %v", err)
	}
	waitFor(t, ctx, sub, "Hangup after reconnect", func(e ami.Event) bool {
		h, ok := e.Decode().(*ami.Hangup)
		return ok && h.Uniqueid == resp.Uniqueid
	})
}

// A burst of calls with a deliberately slow subscriber: it loses events but says so (counted,
// and in-band on the next item); a subscriber with room for the burst misses nothing; actions
// keep being answered meanwhile.
func TestSandboxBurstSlowSubscriber(t *testing.T) {
	const calls = 40
	cfg := sandbox.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := ami.Dial(ctx, ami.Config{Addr: cfg.AMIAddr, Username: cfg.AMIUser, Secret: cfg.AMIPassword, EventBuffer: 4})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer c.Close()
	slow := c.Subscribe() // never read until the end: 4 events of room
	defer slow.Close()
	all := c.SubscribeBuffer(100000, "Newchannel", "Hangup")
	defer all.Close()

	uniqueids := make(chan string, calls)
	errs := make(chan error, calls)
	for range calls {
		go func() {
			r, err := c.Originate(ctx, ami.Originate{Channel: "Local/*43@hotline-operators", Application: "Wait", Data: "0.2"})
			if err != nil {
				errs <- err
				return
			}
			uniqueids <- r.Uniqueid
		}()
	}
	want := map[string]bool{}
	for range calls {
		select {
		case id := <-uniqueids:
			want[id] = true
		case err := <-errs:
			t.Fatalf("Originate: %v", err)
		}
	}
	// Every originated channel is seen created and hung up (Wait(0.2) ends the call).
	created, hungup := map[string]bool{}, map[string]bool{}
	for len(created) < calls || len(hungup) < calls {
		select {
		case ev := <-all.Events():
			if ev.Dropped > 0 {
				t.Fatalf("the roomy subscriber dropped %d events", ev.Dropped)
			}
			switch e := ev.Decode().(type) {
			case *ami.Newchannel:
				if want[e.Uniqueid] {
					created[e.Uniqueid] = true
				}
			case *ami.Hangup:
				if want[e.Uniqueid] {
					hungup[e.Uniqueid] = true
				}
			}
		case <-ctx.Done():
			t.Fatalf("saw %d Newchannel and %d Hangup of %d calls", len(created), len(hungup), calls)
		}
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("Ping after the burst: %v", err)
	}
	if slow.Dropped() == 0 {
		t.Fatalf("the slow subscriber (4 events of room, %d calls) dropped nothing", calls)
	}
	c.Close()
	var inband uint64
	for ev := range slow.Events() {
		inband += ev.Dropped
	}
	if inband != slow.Dropped() || c.Stats().Dropped < slow.Dropped() {
		t.Fatalf("dropped %d, reported in-band %d, Stats.Dropped %d: want all equal", slow.Dropped(), inband, c.Stats().Dropped)
	}
}

// With an event filter the connection gets only the events named: a call's Hangup arrives, and
// none of the events Asterisk sends before it for the same call (Newchannel, Newstate...), which
// would have arrived first on this connection had they not been filtered. Originate still works
// (OriginateResponse is named), and lists are answered in full.
func TestSandboxEventFilter(t *testing.T) {
	cfg := sandbox.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := ami.Dial(ctx, ami.Config{Addr: cfg.AMIAddr, Username: cfg.AMIUser, Secret: cfg.AMIPassword,
		EventFilter: []string{"Hangup", "OriginateResponse"}})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer c.Close()
	sub := c.Subscribe()
	defer sub.Close()
	resp, err := c.Originate(ctx, ami.Originate{Channel: "Local/*43@hotline-operators", Application: "Wait", Data: "0.1"})
	if err != nil {
		t.Fatalf("Originate with a filter: %v", err)
	}
	var others []string
	for {
		var ev ami.Event
		select {
		case ev = <-sub.Events():
		case <-ctx.Done():
			t.Fatalf("no Hangup for %s; other events: %v", resp.Uniqueid, others)
		}
		if ev.Message == nil {
			continue
		}
		if h, ok := ev.Decode().(*ami.Hangup); ok {
			if h.Uniqueid == resp.Uniqueid {
				break
			}
			continue
		}
		if name := ev.Name; name != "OriginateResponse" {
			others = append(others, name)
		}
	}
	if len(others) > 0 {
		t.Errorf("events outside the filter arrived: %v", others)
	}
	if states, err := c.DeviceStateList(ctx); err != nil || len(states) == 0 {
		t.Errorf("DeviceStateList with a filter: %d states, %v", len(states), err)
	}
}
