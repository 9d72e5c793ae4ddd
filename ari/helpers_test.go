package ari_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotline-dev/hotline/ari"
	"github.com/hotline-dev/hotline/integration-tests/sandbox"
)

// echo is a dialplan extension that answers and echoes: the far half of a Local channel to it
// stays up until hung up.
const echo = "Local/*43@hotline-operators"

var seq atomic.Int64

// uniq returns a name unique to this test process, so runs and instances never collide.
func uniq(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1e9, seq.Add(1))
}

func config(t testing.TB, sb sandbox.Config, app string) ari.Config {
	return ari.Config{
		URL: sb.ARIURL, WebsocketURL: sb.ARIWebsocket, Username: sb.ARIUser, Password: sb.ARIPassword,
		Application: app, Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
}

// stream is one running Conn with its consumer side, for tests.
type stream struct {
	*ari.Conn
	t      testing.TB
	cancel context.CancelFunc
	done   chan error
	once   *sync.Once
}

// start runs a Conn for app (tuned by edit) and waits for Connected.
func start(t testing.TB, sb sandbox.Config, app string, edit func(*ari.Config)) *stream {
	t.Helper()
	cfg := config(t, sb, app)
	if edit != nil {
		edit(&cfg)
	}
	c, err := ari.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &stream{Conn: c, t: t, cancel: cancel, done: make(chan error, 1), once: new(sync.Once)}
	go func() { s.done <- c.Run(ctx) }()
	t.Cleanup(s.stop)
	ev := s.next(10 * time.Second)
	if _, ok := ev.(*ari.Connected); !ok {
		t.Fatalf("first event: got %T, want *ari.Connected", ev)
	}
	return s
}

// stop ends Run and waits for it; safe to call again (Cleanup calls it too).
func (s *stream) stop() {
	s.once.Do(func() {
		s.cancel()
		for range s.Events() { // drain until Run closes the stream
		}
		<-s.done
	})
}

// with returns the stream reporting failures to t (a subtest's).
func (s *stream) with(t testing.TB) *stream {
	c := *s
	c.t = t
	return &c
}

// next returns the next event, failing the test after d.
func (s *stream) next(d time.Duration) ari.Event {
	s.t.Helper()
	select {
	case ev, ok := <-s.Events():
		if !ok {
			s.t.Fatal("event stream closed")
		}
		return ev
	case <-time.After(d):
		s.t.Fatalf("no event within %s", d)
		return nil
	}
}

// waitFor returns the first event for which match is true, failing the test after d; the events
// skipped on the way are returned too, in order.
func (s *stream) waitFor(d time.Duration, what string, match func(ari.Event) bool) (ari.Event, []ari.Event) {
	s.t.Helper()
	deadline := time.After(d)
	var skipped []ari.Event
	for {
		select {
		case ev, ok := <-s.Events():
			if !ok {
				s.t.Fatalf("event stream closed while waiting for %s", what)
			}
			if match(ev) {
				return ev, skipped
			}
			skipped = append(skipped, ev)
		case <-deadline:
			var types []string
			for _, e := range skipped {
				types = append(types, e.GetType())
			}
			s.t.Fatalf("no %s within %s; saw %v", what, d, types)
			return nil, nil
		}
	}
}

func ctxT(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
