package spool_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hotline-dev/hotline/outbox/spool"
)

// barrier is a SetDurable barrier that fails while failing is set, and counts its calls.
type barrier struct {
	mu      sync.Mutex
	calls   int
	failing bool
	ctxErr  error // the context's error at the last call
}

func (b *barrier) durable(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls++
	b.ctxErr = ctx.Err()
	if b.ctxErr != nil {
		return b.ctxErr
	}
	if b.failing {
		return errors.New("a reader holds the checkpoint back")
	}
	return nil
}

func (b *barrier) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.calls
}

// A barrier that fails (a long reader holds SQLite's checkpoint back) is not asked again at every
// release: the releases within Options.BarrierRetry of the failure neither ask nor rotate; the
// first one after asks, and rotates once it succeeds.
func TestBarrierRetriesRateLimited(t *testing.T) {
	const retry = time.Second
	s := mustOpen(t, filepath.Join(t.TempDir(), "s.spool"), spool.Options{BarrierRetry: retry})
	b := &barrier{failing: true}
	s.SetDurable(b.durable)
	gen := s.Generation()

	seq := mustAppend(t, s, []byte("a"))
	failedAt := time.Now()
	if err := s.Release(t.Context(), seq); !errors.Is(err, spool.ErrNotDurable) {
		t.Fatalf("release with a failing barrier: %v, want ErrNotDurable", err)
	}
	for range 20 { // a busy applier: every write released on its own
		seq = mustAppend(t, s, []byte("b"))
		if err := s.Release(t.Context(), seq); err != nil {
			t.Fatalf("release within the retry interval: %v", err)
		}
	}
	if n := b.count(); n != 1 && time.Since(failedAt) < retry {
		t.Fatalf("barrier asked %d times within %v of its failure, want 1", n, retry)
	}
	if s.Generation() != gen {
		t.Fatal("rotated although the barrier failed")
	}

	time.Sleep(retry)
	b.mu.Lock()
	b.failing = false
	b.mu.Unlock()
	asked := b.count()
	seq = mustAppend(t, s, []byte("c"))
	if err := s.Release(t.Context(), seq); err != nil {
		t.Fatalf("release once the retry is due: %v", err)
	}
	if b.count() != asked+1 {
		t.Fatalf("barrier not asked once the retry was due (%d calls, then %d)", asked, b.count())
	}
	if s.Generation() == gen || len(s.Pending()) != 0 {
		t.Fatalf("not rotated once the barrier succeeded: generation %s (was %s), pending %s", s.Generation(), gen, show(s.Pending()))
	}
}

// The barrier gets the release's context: a cancelled one makes it fail, and the file stays.
func TestBarrierTakesReleaseContext(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "s.spool"), spool.Options{})
	b := &barrier{}
	s.SetDurable(b.durable)
	gen := s.Generation()
	seq := mustAppend(t, s, []byte("a"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Release(ctx, seq); !errors.Is(err, spool.ErrNotDurable) || !errors.Is(err, context.Canceled) {
		t.Fatalf("release with a cancelled context: %v, want ErrNotDurable and context.Canceled", err)
	}
	if !errors.Is(b.ctxErr, context.Canceled) {
		t.Fatalf("the barrier's context: %v, want cancelled", b.ctxErr)
	}
	if s.Generation() != gen {
		t.Fatal("rotated although the barrier failed")
	}
}

// Close asks the barrier without holding the spool's lock (a checkpoint may wait: metrics and
// health checks must not), with CloseContext's context, and rotates once it succeeds.
func TestCloseBarrierWithoutLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.spool")
	s, err := spool.Open(path, spool.Options{RotateAt: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	started, release := make(chan struct{}), make(chan struct{})
	var got context.Context
	s.SetDurable(func(ctx context.Context) error {
		got = ctx
		close(started)
		<-release
		return nil
	})
	seq := mustAppend(t, s, []byte("a"))
	if err := s.Release(t.Context(), seq); err != nil { // under RotateAt: no barrier
		t.Fatal(err)
	}
	type key struct{}
	ctx := context.WithValue(t.Context(), key{}, "close")
	closed := make(chan error, 1)
	go func() { closed <- s.CloseContext(ctx) }()
	<-started
	backlog := make(chan int, 1)
	go func() { n, _ := s.Backlog(); backlog <- n }()
	select {
	case n := <-backlog:
		if n != 0 {
			t.Errorf("backlog %d during Close's barrier, want 0", n)
		}
	case <-time.After(5 * time.Second):
		t.Error("Backlog waited for Close's barrier: the barrier runs under the spool's lock")
	}
	close(release)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if got.Value(key{}) != "close" {
		t.Error("the barrier did not get CloseContext's context")
	}
	// Rotated at close: the next start replays nothing.
	s2 := mustOpen(t, path, spool.Options{})
	if p := s2.Pending(); len(p) != 0 {
		t.Fatalf("after Close: pending %s, want none (rotated)", show(p))
	}
}

// A second Close while the first waits in its barrier returns only once the first has finished
// (the file closed, its lock released), or with its own context's error when that ends first.
func TestSecondCloseWaitsForTheFirst(t *testing.T) {
	for _, tc := range []struct {
		name      string
		cancelled bool  // the second Close's context is cancelled
		want      error // what the second Close returns
	}{
		{"waits for the first", false, nil},
		{"gives up with its context", true, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.spool")
			s, err := spool.Open(path, spool.Options{RotateAt: 1 << 20})
			if err != nil {
				t.Fatal(err)
			}
			started, release := make(chan struct{}), make(chan struct{})
			s.SetDurable(func(context.Context) error {
				close(started)
				<-release
				return nil
			})
			if err := s.Release(t.Context(), mustAppend(t, s, []byte("a"))); err != nil {
				t.Fatal(err)
			}
			first := make(chan error, 1)
			go func() { first <- s.Close() }()
			<-started
			ctx, cancel := context.WithCancel(t.Context())
			if tc.cancelled {
				cancel()
			}
			defer cancel()
			second := make(chan error, 1)
			go func() { second <- s.CloseContext(ctx) }()
			if !tc.cancelled {
				select {
				case err := <-second:
					t.Fatalf("the second Close returned (%v) while the first is in its barrier", err)
				case <-time.After(300 * time.Millisecond):
				}
				close(release)
				if err := <-first; err != nil {
					t.Fatal(err)
				}
				if err := <-second; err != nil {
					t.Fatalf("second Close: %v", err)
				}
				// The lock is released: the spool opens again.
				mustOpen(t, path, spool.Options{}).Close()
				return
			}
			select {
			case err := <-second:
				if !errors.Is(err, tc.want) {
					t.Errorf("second Close: %v, want %v", err, tc.want)
				}
			case <-time.After(5 * time.Second):
				t.Error("the second Close waited although its context was cancelled")
			}
			close(release)
			if err := <-first; err != nil {
				t.Fatal(err)
			}
		})
	}
}
