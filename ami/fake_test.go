package ami

import (
	"bufio"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeAMI is an in-process AMI server over net.Pipe: it speaks the banner and Login/Challenge,
// and hands every other action to handle (nil: answer Success).
type fakeAMI struct {
	secret atomic.Value // string: the password Login accepts
	handle func(fc *fakeConn, m *Message)

	login  atomic.Pointer[Message] // the last Login action received
	refuse atomic.Bool             // Dial fails while set
	dials  atomic.Int32            // connections opened
	conns  chan *fakeConn
}

type fakeConn struct {
	net.Conn
	mu sync.Mutex
}

// send writes one message from name, value pairs.
func (fc *fakeConn) send(kv ...string) error {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		b.WriteString(kv[i] + ": " + kv[i+1] + "\r\n")
	}
	b.WriteString("\r\n")
	return fc.write(b.String())
}

func (fc *fakeConn) write(s string) error {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	_, err := io.WriteString(fc.Conn, s)
	return err
}

func newFake() *fakeAMI {
	f := &fakeAMI{conns: make(chan *fakeConn, 16)}
	f.secret.Store("s3cret")
	return f
}

func (f *fakeAMI) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if f.refuse.Load() {
		return nil, errors.New("fake: connection refused")
	}
	f.dials.Add(1)
	client, server := net.Pipe()
	fc := &fakeConn{Conn: server}
	go f.serve(fc)
	return client, nil
}

func (f *fakeAMI) serve(fc *fakeConn) {
	defer fc.Close()
	if fc.write("Asterisk Call Manager/11.0.0\r\n") != nil {
		return
	}
	br := bufio.NewReader(fc)
	challenge := "424242"
	var raw strings.Builder
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		raw.WriteString(line)
		if line != "\r\n" {
			continue
		}
		m := parseMessage(raw.String(), nil)
		raw.Reset()
		id := m.ActionID()
		switch m.Field("Action") {
		case "Challenge":
			fc.send("Response", "Success", "ActionID", id, "Challenge", challenge)
		case "Login":
			f.login.Store(m)
			secret := f.secret.Load().(string)
			sum := md5.Sum([]byte(challenge + secret))
			ok := m.Field("Secret") == secret ||
				(m.Field("AuthType") == "MD5" && m.Field("Key") == hex.EncodeToString(sum[:]))
			if !ok {
				fc.send("Response", "Error", "ActionID", id, "Message", "Authentication failed")
				continue
			}
			fc.send("Response", "Success", "ActionID", id, "Message", "Authentication accepted")
			select {
			case f.conns <- fc:
			default:
			}
		case "Logoff":
			fc.send("Response", "Goodbye", "ActionID", id, "Message", "Thanks for all the fish.")
			return
		default:
			if f.handle != nil {
				f.handle(fc, m)
			} else {
				fc.send("Response", "Success", "ActionID", id)
			}
		}
	}
}

// dialFake returns a client of f with test-friendly timings.
func dialFake(t *testing.T, f *fakeAMI, tweak func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		Addr: "fake:5038", Username: "hotline", Secret: "s3cret", Dial: f.dial,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		ReconnectMin: time.Millisecond, ReconnectMax: 5 * time.Millisecond,
		PingInterval: -1,
	}
	if tweak != nil {
		tweak(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, cfg)
	if err != nil {
		t.Fatalf("Dial fake: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// testCtx bounds a test's waits so that a bug shows as a failure, not a hung test run.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// nextState reads items until a state change.
func nextState(t *testing.T, ctx context.Context, sub *Subscription) Event {
	t.Helper()
	for {
		select {
		case ev, ok := <-sub.Events():
			if !ok {
				t.Fatal("subscription closed while waiting for a state change")
			}
			if ev.State != 0 {
				return ev
			}
		case <-ctx.Done():
			t.Fatal("no state change before the deadline")
		}
	}
}
