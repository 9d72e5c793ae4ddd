package ami

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

func TestLogin(t *testing.T) {
	tests := []struct {
		name    string
		auth    Auth
		secret  string
		wantErr error
	}{
		{"plain", AuthPlain, "s3cret", nil},
		{"md5", AuthMD5, "s3cret", nil},
		{"plain refused", AuthPlain, "nope", ErrLogin},
		{"md5 refused", AuthMD5, "nope", ErrLogin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			c, err := Dial(testCtx(t), Config{Addr: "fake", Username: "u", Secret: tt.secret, Auth: tt.auth, Dial: f.dial, PingInterval: -1})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Dial: got %v, want %v", err, tt.wantErr)
			}
			if err == nil {
				defer c.Close()
				if c.State() != StateConnected {
					t.Errorf("State = %v after Dial", c.State())
				}
			}
		})
	}
}

func TestLoginEvents(t *testing.T) {
	tests := []struct{ events, want string }{{"", ""}, {"off", "off"}, {"call,system", "call,system"}}
	for _, tt := range tests {
		f := newFake()
		dialFake(t, f, func(cfg *Config) { cfg.Events = tt.events })
		login := f.login.Load()
		if login == nil {
			t.Fatal("no Login seen")
		}
		if got := login.Field("Events"); got != tt.want {
			t.Errorf("Config.Events %q: Login sent Events %q, want %q", tt.events, got, tt.want)
		}
		if login.Field("Secret") != "s3cret" {
			t.Errorf("plain login sent Secret %q", login.Field("Secret"))
		}
	}
}

func TestDialBadBanner(t *testing.T) {
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		a, b := net.Pipe()
		go func() { b.Write([]byte("SSH-2.0-OpenSSH\r\n")); b.Close() }()
		return a, nil
	}
	_, err := Dial(testCtx(t), Config{Addr: "x", Username: "u", Dial: dial})
	if !errors.Is(err, ErrProtocol) {
		t.Fatalf("Dial to a non-AMI server: got %v, want ErrProtocol", err)
	}
}

// Many goroutines, answers in reverse order: each caller gets its own answer.
func TestActionCorrelation(t *testing.T) {
	const n = 50
	f := newFake()
	var mu sync.Mutex
	var held []*Message
	f.handle = func(fc *fakeConn, m *Message) {
		mu.Lock()
		held = append(held, m)
		batch := held
		if len(held) == n {
			held = nil
		}
		mu.Unlock()
		if len(batch) < n {
			return
		}
		for _, m := range slices.Backward(batch) {
			fc.send("Response", "Success", "ActionID", m.ActionID(), "Echo", m.Field("Value"))
		}
	}
	c := dialFake(t, f, nil)
	ctx := testCtx(t)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			want := strconv.Itoa(i)
			resp, err := c.Action(ctx, NewAction("UserEvent", "Value", want))
			if err != nil {
				errs <- err
				return
			}
			if got := resp.Field("Echo"); got != want {
				errs <- fmt.Errorf("caller %s got the answer for %s", want, got)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestList(t *testing.T) {
	tests := []struct {
		name      string
		answer    func(fc *fakeConn, id string)
		wantItems []string // values of the Item header
		wantErr   error
		wantStray int // events that must reach the subscription instead of the list
	}{
		{
			name: "items",
			answer: func(fc *fakeConn, id string) {
				fc.send("Response", "Success", "ActionID", id, "EventList", "start")
				fc.send("Event", "EndpointList", "ActionID", id, "Item", "a")
				fc.send("Event", "EndpointList", "ActionID", id, "Item", "b")
				fc.send("Event", "EndpointListComplete", "ActionID", id, "EventList", "Complete", "ListItems", "2")
			},
			wantItems: []string{"a", "b"},
		},
		{
			name: "unrelated events interleaved",
			answer: func(fc *fakeConn, id string) {
				fc.send("Response", "Success", "ActionID", id, "EventList", "start")
				fc.send("Event", "Newchannel", "Channel", "PJSIP/1-1")
				fc.send("Event", "EndpointList", "ActionID", id, "Item", "a")
				fc.send("Event", "Hangup", "Channel", "PJSIP/1-1", "ActionID", "someone-else")
				fc.send("Event", "EndpointListComplete", "ActionID", id, "EventList", "Complete")
			},
			wantItems: []string{"a"},
			wantStray: 2,
		},
		{
			name: "items without Event header (tolerated, not expected)",
			answer: func(fc *fakeConn, id string) {
				fc.send("Response", "Success", "ActionID", id, "EventList", "start")
				fc.send("ActionID", id, "Item", "x", "Device", "PJSIP/1001", "State", "INUSE")
				fc.send("Event", "DeviceStateListComplete", "ActionID", id, "EventList", "Complete")
			},
			wantItems: []string{"x"},
		},
		{
			name: "empty",
			answer: func(fc *fakeConn, id string) {
				fc.send("Response", "Success", "ActionID", id, "EventList", "start")
				fc.send("Event", "XComplete", "ActionID", id, "EventList", "Complete")
			},
			wantItems: []string{},
		},
		{
			name: "error",
			answer: func(fc *fakeConn, id string) {
				fc.send("Response", "Error", "ActionID", id, "Message", "Permission denied")
			},
			wantErr: ErrActionFailed,
		},
		{
			name: "connection lost midway",
			answer: func(fc *fakeConn, id string) {
				fc.send("Response", "Success", "ActionID", id, "EventList", "start")
				fc.Close()
			},
			wantErr: ErrDisconnected,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			f.handle = func(fc *fakeConn, m *Message) {
				if m.Field("Action") == "Marker" {
					fc.send("Response", "Success", "ActionID", m.ActionID())
					return
				}
				tt.answer(fc, m.ActionID())
			}
			c := dialFake(t, f, nil)
			sub := c.Subscribe()
			defer sub.Close()
			ctx := testCtx(t)
			l, err := c.List(ctx, NewAction("PJSIPShowEndpoints"))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("List: got %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			got := []string{}
			for _, m := range l.Items {
				got = append(got, m.Field("Item"))
			}
			if !slices.Equal(got, tt.wantItems) || l.Complete == nil {
				t.Fatalf("items %q (complete %v), want %q", got, l.Complete != nil, tt.wantItems)
			}
			// The reader is sequential: once Marker is answered, everything before it was routed.
			if _, err := c.Action(ctx, NewAction("Marker")); err != nil {
				t.Fatal(err)
			}
			stray := 0
			for stray < tt.wantStray+1 { // +1: the initial state item
				select {
				case ev := <-sub.Events():
					if ev.Name == "EndpointList" || ev.Name == "EndpointListComplete" {
						t.Fatalf("list item leaked into the event stream: %v", ev.Message)
					}
					stray++
				case <-time.After(2 * time.Second):
					t.Fatalf("got %d stray events, want %d", stray-1, tt.wantStray)
				}
			}
		})
	}
}

func TestActionTimeout(t *testing.T) {
	f := newFake()
	release := make(chan string, 1)
	f.handle = func(fc *fakeConn, m *Message) {
		switch m.Field("Action") {
		case "Slow":
			release <- m.ActionID() // answered only after the caller gave up
		default:
			fc.send("Response", "Success", "ActionID", m.ActionID())
			if id, ok := <-release; ok && m.Field("Action") == "Late" {
				fc.send("Response", "Success", "ActionID", id)
			}
		}
	}
	c := dialFake(t, f, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.Action(ctx, NewAction("Slow"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Action past its deadline: got %v, want DeadlineExceeded", err)
	}
	// The late answer must not confuse the next action, and is counted.
	if _, err := c.Action(testCtx(t), NewAction("Late")); err != nil {
		t.Fatalf("action after a timeout: %v", err)
	}
	if _, err := c.Action(testCtx(t), NewAction("Ping")); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if got := c.Stats().Unmatched; got != 1 {
		t.Errorf("Unmatched = %d, want 1 (the late answer)", got)
	}
}

func TestReconnect(t *testing.T) {
	tests := []struct {
		name string
		cut  func(t *testing.T, f *fakeAMI, fc *fakeConn)
	}{
		{"server closes", func(t *testing.T, f *fakeAMI, fc *fakeConn) { fc.Close() }},
		{"refused for a while", func(t *testing.T, f *fakeAMI, fc *fakeConn) {
			f.refuse.Store(true)
			fc.Close()
			time.AfterFunc(30*time.Millisecond, func() { f.refuse.Store(false) })
		}},
		{"login refused for a while", func(t *testing.T, f *fakeAMI, fc *fakeConn) {
			f.secret.Store("changed")
			fc.Close()
			time.AfterFunc(30*time.Millisecond, func() { f.secret.Store("s3cret") })
		}},
		{"oversized message", func(t *testing.T, f *fakeAMI, fc *fakeConn) {
			fc.send("Event", "Big", "Data", string(make([]byte, 5000)))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			block := make(chan struct{})
			f.handle = func(fc *fakeConn, m *Message) {
				if m.Field("Action") == "Hold" {
					<-block // never answered: the connection dies under it
					return
				}
				fc.send("Response", "Success", "ActionID", m.ActionID())
			}
			defer close(block)
			c := dialFake(t, f, func(cfg *Config) { cfg.MaxMessageSize = 4096 })
			ctx := testCtx(t)
			sub := c.Subscribe("nothing")
			defer sub.Close()
			if ev := nextState(t, ctx, sub); ev.State != StateConnected {
				t.Fatalf("first state %v", ev.State)
			}
			fc := <-f.conns
			held := make(chan error, 1)
			go func() { _, err := c.Action(ctx, NewAction("Hold")); held <- err }()
			time.Sleep(10 * time.Millisecond) // let Hold reach the server (no assertion depends on it)
			tt.cut(t, f, fc)

			if ev := nextState(t, ctx, sub); ev.State != StateDisconnected || ev.Err == nil {
				t.Fatalf("after the break: %v (%v), want disconnected with a reason", ev.State, ev.Err)
			}
			if err := <-held; !errors.Is(err, ErrDisconnected) && !errors.Is(err, ErrNotConnected) {
				t.Errorf("action in flight: got %v, want ErrDisconnected", err)
			}
			if ev := nextState(t, ctx, sub); ev.State != StateReconnected {
				t.Fatalf("then %v, want reconnected", ev.State)
			}
			if err := c.Ping(ctx); err != nil {
				t.Fatalf("Ping after reconnect: %v", err)
			}
			if c.Stats().Reconnects != 1 {
				t.Errorf("Reconnects = %d, want 1", c.Stats().Reconnects)
			}
		})
	}
}

func TestNotConnected(t *testing.T) {
	f := newFake()
	c := dialFake(t, f, func(cfg *Config) { cfg.ReconnectMin, cfg.ReconnectMax = time.Hour, time.Hour })
	sub := c.Subscribe()
	defer sub.Close()
	ctx := testCtx(t)
	nextState(t, ctx, sub)
	(<-f.conns).Close()
	if ev := nextState(t, ctx, sub); ev.State != StateDisconnected {
		t.Fatalf("got %v", ev.State)
	}
	if err := c.Ping(ctx); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("Ping while disconnected: got %v, want ErrNotConnected", err)
	}
	// Close during the (hour-long) backoff returns promptly and ends the stream.
	c.Close()
	if ev := nextState(t, ctx, sub); ev.State != StateClosed {
		t.Fatalf("got %v, want closed", ev.State)
	}
	if _, ok := <-sub.Events(); ok {
		t.Fatal("stream still open after StateClosed")
	}
}

func TestKeepalive(t *testing.T) {
	f := newFake()
	var mute sync.Map // connections that stop answering Ping
	f.handle = func(fc *fakeConn, m *Message) {
		if _, ok := mute.Load(fc); ok && m.Field("Action") == "Ping" {
			return
		}
		fc.send("Response", "Success", "ActionID", m.ActionID())
	}
	c := dialFake(t, f, func(cfg *Config) { cfg.PingInterval, cfg.PingTimeout = 10*time.Millisecond, 30*time.Millisecond })
	sub := c.Subscribe()
	defer sub.Close()
	ctx := testCtx(t)
	nextState(t, ctx, sub)
	mute.Store(<-f.conns, true)
	if ev := nextState(t, ctx, sub); ev.State != StateDisconnected {
		t.Fatalf("silent server: got %v, want disconnected", ev.State)
	}
	if ev := nextState(t, ctx, sub); ev.State != StateReconnected {
		t.Fatalf("got %v, want reconnected", ev.State)
	}
}

// A slow subscriber loses events, never silently; a fast one loses nothing.
func TestSlowSubscriber(t *testing.T) {
	const burst = 100
	f := newFake()
	f.handle = func(fc *fakeConn, m *Message) {
		if m.Field("Action") == "Burst" {
			for i := range burst {
				fc.send("Event", "UserEvent", "N", strconv.Itoa(i))
			}
		}
		fc.send("Response", "Success", "ActionID", m.ActionID())
	}
	c := dialFake(t, f, func(cfg *Config) { cfg.EventBuffer = 8 })
	slow := c.Subscribe("UserEvent")
	defer slow.Close()
	fast := c.SubscribeBuffer(2*burst, "userevent") // names are case-insensitive
	defer fast.Close()
	ctx := testCtx(t)

	fastGot := make(chan int)
	go func() {
		n := 0
		for ev := range fast.Events() {
			if ev.Name != "" {
				n++
			}
			if n == burst {
				break
			}
		}
		fastGot <- n
	}()
	if _, err := c.Action(ctx, NewAction("Burst")); err != nil {
		t.Fatal(err)
	}
	if n := <-fastGot; n != burst {
		t.Errorf("fast subscriber got %d, want %d", n, burst)
	}
	// Only now does the slow one read: its buffer held 8 (+ the state item in flight).
	received, inband := 0, uint64(0)
	c.Close()
	for ev := range slow.Events() {
		if ev.Name != "" {
			received++
		}
		inband += ev.Dropped
	}
	if received+int(slow.Dropped()) != burst {
		t.Errorf("received %d + dropped %d != %d sent", received, slow.Dropped(), burst)
	}
	if slow.Dropped() == 0 || inband != slow.Dropped() {
		t.Errorf("dropped %d, reported in-band %d: want equal and non-zero", slow.Dropped(), inband)
	}
	if c.Stats().Dropped != slow.Dropped() {
		t.Errorf("Stats.Dropped %d, subscription %d", c.Stats().Dropped, slow.Dropped())
	}
}

func TestOriginate(t *testing.T) {
	tests := []struct {
		name     string
		response string
		reason   string
		wantErr  error
	}{
		{"answered", "Success", "4", nil},
		{"busy", "Failure", "5", ErrOriginateFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			f.handle = func(fc *fakeConn, m *Message) {
				id := m.ActionID()
				if m.Field("Async") != "true" || m.Field("Variable") != "A=1" {
					fc.send("Response", "Error", "ActionID", id, "Message", "test: bad originate")
					return
				}
				fc.send("Response", "Success", "ActionID", id, "Message", "Originate successfully queued")
				fc.send("Event", "Newchannel", "Channel", "PJSIP/1001-1")
				fc.send("Event", "OriginateResponse", "ActionID", id, "Response", tt.response,
					"Channel", "PJSIP/1001-1", "Reason", tt.reason, "Uniqueid", "1.1")
			}
			c := dialFake(t, f, nil)
			r, err := c.Originate(testCtx(t), Originate{Channel: "PJSIP/1001", Exten: "100", Context: "x", Variables: map[string]string{"A": "1"}})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Originate: got %v, want %v", err, tt.wantErr)
			}
			if r == nil || r.Uniqueid != "1.1" || strconv.Itoa(r.Reason) != tt.reason {
				t.Fatalf("response %+v", r)
			}
		})
	}
}

func TestActionError(t *testing.T) {
	f := newFake()
	f.handle = func(fc *fakeConn, m *Message) {
		fc.send("Response", "Error", "ActionID", m.ActionID(), "Message", "No such channel")
	}
	c := dialFake(t, f, nil)
	err := c.Hangup(testCtx(t), "PJSIP/x", 16)
	var ae *ActionError
	if !errors.As(err, &ae) || ae.Action != "Hangup" || ae.Message != "No such channel" || !errors.Is(err, ErrActionFailed) {
		t.Fatalf("got %v", err)
	}
	if got := err.Error(); got != "ami: Hangup: No such channel" {
		t.Errorf("message %q", got)
	}
}

func TestEncodeRefusesInjection(t *testing.T) {
	tests := []struct {
		name string
		m    *Message
	}{
		{"CRLF in value", NewAction("Hangup", "Channel", "x\r\nAction: Reload")},
		{"LF in value", NewAction("Hangup", "Channel", "x\nA: b")},
		{"colon in name", NewAction("Hangup", "Chan:nel", "x")},
		{"empty name", NewAction("Hangup", "", "x")},
	}
	f := newFake()
	c := dialFake(t, f, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := c.Action(testCtx(t), tt.m); err == nil {
				t.Fatal("sent an action that breaks AMI framing")
			}
		})
	}
	if err := c.Ping(testCtx(t)); err != nil {
		t.Fatalf("connection unusable after refused actions: %v", err)
	}
}

func TestLogoff(t *testing.T) {
	f := newFake()
	c := dialFake(t, f, nil)
	sub := c.Subscribe()
	defer sub.Close()
	ctx := testCtx(t)
	nextState(t, ctx, sub)
	if err := c.Logoff(ctx); err != nil {
		t.Fatalf("Logoff: %v", err)
	}
	// No reconnect after a Logoff, even though the server closed the connection.
	if ev := nextState(t, ctx, sub); ev.State != StateClosed {
		t.Fatalf("after Logoff: %v, want closed", ev.State)
	}
	if f.dials.Load() != 1 {
		t.Errorf("dials = %d after Logoff, want 1", f.dials.Load())
	}
	if err := c.Ping(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Ping after Logoff: %v", err)
	}
}
