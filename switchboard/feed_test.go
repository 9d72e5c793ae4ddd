package switchboard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hotline-dev/hotline"
)

// follower is a consumer of the feed in a harness test: it applies each change to the snapshot
// it started from, and checks that the result is what a fresh snapshot says.
type follower struct {
	t     testing.TB
	h     *harness
	feed  *Feed
	snap  Snapshot
	kinds []string // "kind id" of each change read
}

func (h *harness) follow() *follower {
	snap, f := h.s.subscribe(context.Background())
	return &follower{t: h.t, h: h, feed: f, snap: snap}
}

// drain reads the changes waiting, applies them, and compares with a fresh snapshot.
func (f *follower) drain() {
	f.t.Helper()
	for {
		select {
		case c, ok := <-f.feed.C():
			if !ok {
				f.t.Fatalf("feed ended: %v", f.feed.Err())
			}
			next, err := f.snap.Apply(c)
			if err != nil {
				f.t.Fatalf("apply %+v: %v", c, err)
			}
			f.snap = next
			f.kinds = append(f.kinds, describe(c))
			continue
		default:
		}
		break
	}
	f.h.s.diff() // the loop has published everything already: nothing new here
	fresh := f.h.s.live.snapshot()
	fresh.At = f.snap.At // the fresh one is taken later; the state is what counts
	if !reflect.DeepEqual(normal(fresh), normal(f.snap)) {
		f.t.Errorf("snapshot + changes =\n %+v\nfresh snapshot =\n %+v", f.snap, fresh)
	}
}

// normal makes empty slices nil, as JSON and Apply may leave either.
func normal(s Snapshot) Snapshot {
	if len(s.Queue) == 0 {
		s.Queue = nil
	}
	if len(s.Operators) == 0 {
		s.Operators = nil
	}
	if len(s.Calls) == 0 {
		s.Calls = nil
	}
	return s
}

func describe(c Change) string {
	switch {
	case c.Call != nil:
		return fmt.Sprintf("%s %s", c.Kind, c.Call.ID)
	case c.Operator != nil:
		return fmt.Sprintf("%s %d %s", c.Kind, c.Operator.ID, c.Operator.Presence)
	case c.Kind == QueueChanged:
		var ids []string
		for _, e := range c.Queue {
			ids = append(ids, e.CallID)
		}
		return fmt.Sprintf("%s %v", c.Kind, ids)
	}
	return string(c.Kind)
}

// The feed tells each step of a call's life in order, and snapshot + changes is the state at
// every step.
func TestFeedFollowsCalls(t *testing.T) {
	tests := []struct {
		name string
		run  func(h *harness, f *follower)
		want []string
	}{
		{
			name: "answered and completed",
			run: func(h *harness, f *follower) {
				h.send(StasisStart{Channel: "c1", CallerNumber: "+79001112233", Entry: Inbound{}})
				f.drain()
				m := h.mark()
				h.finishPlay("c1")
				f.drain()
				h.answer(h.oneOriginate(m))
				f.drain()
				h.hangup("c1")
				f.drain()
				h.advance(10 * time.Second) // wrap-up ends
				f.drain()
			},
			want: []string{
				"call.arrived c1",
				"call.offered c1", "operator.presence 1 ringing", "queue [c1]",
				"call.answered c1", "operator.presence 1 talking", "queue []",
				"call.ended c1", "operator.presence 1 wrap_up",
				"operator.presence 1 available",
			},
		},
		{
			name: "offer missed, caller hangs up in the queue",
			run: func(h *harness, f *follower) {
				h.arrive("c1", "+79001112233")
				f.drain()
				h.advance(15 * time.Second) // ring timeout: operator 1 missed it
				f.drain()
				h.hangup("c1")
				f.drain()
			},
			want: []string{
				"call.arrived c1",
				"call.offered c1", "operator.presence 1 ringing", "queue [c1]",
				// Missed, and offered again to operator 1 (the only one in) within the same step:
				// the call's state is as it was, only operator 1's missed count changed.
				"operator.updated 1 ringing",
				"call.ended c1", "operator.presence 1 available", "queue []",
			},
		},
		{
			name: "presence by command",
			run: func(h *harness, f *follower) {
				h.s.dispatch(command{run: func(s *Switchboard) { _ = s.pause(s.operators[1], "2") }})
				f.drain()
				h.s.dispatch(command{run: func(s *Switchboard) { _ = s.resume(s.operators[1]) }})
				f.drain()
				h.s.dispatch(command{run: func(s *Switchboard) { s.logout(s.operators[1]) }})
				f.drain()
			},
			want: []string{"operator.presence 1 paused", "operator.presence 1 available", "operator.presence 1 logged_out"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, testConfig(), op(1, "1001"), op(2, "1002"))
			h.login("1001")
			f := h.follow()
			if len(f.snap.Operators) != 2 || f.snap.Operators[0].Presence != hotline.PresenceAvailable {
				t.Fatalf("first snapshot = %+v", f.snap)
			}
			tt.run(h, f)
			if !slices.Equal(f.kinds, tt.want) {
				t.Errorf("changes:\n  %q\nwant\n  %q", f.kinds, tt.want)
			}
		})
	}
}

// A consumer that does not read is dropped when its buffer is full, told why, and the others and
// the loop go on.
func TestFeedLagging(t *testing.T) {
	h := newHarness(t, testConfig(), op(1, "1001"))
	h.login("1001")
	h.s.live.buffer = 4
	at, slow := h.s.subscribe(context.Background())
	fast := h.follow()
	for range 3 {
		h.s.dispatch(command{run: func(s *Switchboard) { _ = s.pause(s.operators[1], "1") }})
		h.s.dispatch(command{run: func(s *Switchboard) { _ = s.resume(s.operators[1]) }})
		fast.drain()
	}
	if len(fast.kinds) != 6 {
		t.Errorf("the reading consumer got %d changes, want 6: %q", len(fast.kinds), fast.kinds)
	}
	var got []uint64
	for c := range slow.C() {
		got = append(got, c.Seq)
	}
	if want := []uint64{at.Seq + 1, at.Seq + 2, at.Seq + 3, at.Seq + 4}; !slices.Equal(got, want) {
		t.Errorf("the lagging consumer got %v, want %v (its buffer, then the end)", got, want)
	}
	if err := slow.Err(); !errors.Is(err, ErrLagged) {
		t.Errorf("Err = %v, want ErrLagged", err)
	}
	if n := len(h.s.live.feeds); n != 1 {
		t.Errorf("%d feeds left, want the reading one", n)
	}
}

// runSwitchboard runs a switchboard with one operator and an Asterisk that does nothing.
func runSwitchboard(t *testing.T) (*Switchboard, context.CancelFunc, <-chan error) {
	t.Helper()
	j := &lockedJournal{j: &fakeJournal{operators: []hotline.Operator{op(1, "1001")}, cases: map[string]Filed{},
		legs: map[string]hotline.Leg{}}, legs: make(chan hotline.Leg, 64)}
	tel := TelephonyFunc(func(context.Context, Op) error { return nil })
	s, err := New(DefaultConfig(), tel, j, SystemClock{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- s.Run(ctx) }()
	for {
		err := s.Login(ctx, hotline.SystemActor, 1)
		if err == nil {
			break
		}
		if hotline.ErrorCode(err) != hotline.ENOTFOUND {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond) // the operators load off the loop
	}
	return s, cancel, ran
}

// The real loop with a consumer that never reads: commands keep being answered within a bounded
// time, and the consumer is told it lagged.
func TestFeedLagDoesNotBlockLoop(t *testing.T) {
	s, stop, ran := runSwitchboard(t)
	defer func() { stop(); <-ran }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, f, err := s.Subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range FeedBuffer { // two changes each
		if err := s.Pause(ctx, hotline.SystemActor, 1, "1"); err != nil {
			t.Fatalf("pause %d: %v (the loop is blocked?)", i, err)
		}
		if err := s.Resume(ctx, hotline.SystemActor, 1); err != nil {
			t.Fatalf("resume %d: %v (the loop is blocked?)", i, err)
		}
	}
	n := 0
	for range f.C() {
		n++
	}
	if n != FeedBuffer || !errors.Is(f.Err(), ErrLagged) {
		t.Errorf("read %d changes then %v; want %d then ErrLagged", n, f.Err(), FeedBuffer)
	}
}

// A feed ends when its context does, or when the switchboard stops, and leaves no goroutine
// behind (synctest fails a test whose goroutines outlive it blocked).
func TestFeedEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, stop, ran := runSwitchboard(t)
		ctx, cancel := context.WithCancel(context.Background())
		snap, f, err := s.Subscribe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(snap.Operators) != 1 || snap.Operators[0].Presence != hotline.PresenceAvailable {
			t.Errorf("snapshot = %+v", snap)
		}
		_, kept, err := s.Subscribe(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		cancel()
		synctest.Wait()
		if _, open := <-f.C(); open || !errors.Is(f.Err(), context.Canceled) {
			t.Errorf("feed after its context ended: open %v, err %v", open, f.Err())
		}
		var feeds int
		if err := s.ask(context.Background(), func(s *Switchboard) error { feeds = len(s.live.feeds); return nil }); err != nil {
			t.Fatal(err)
		}
		if feeds != 1 {
			t.Errorf("%d feeds on the loop, want 1", feeds)
		}
		if kept.Err() != nil {
			t.Errorf("the other feed ended: %v", kept.Err())
		}
		stop()
		<-ran
		if _, open := <-kept.C(); open || !errors.Is(kept.Err(), ErrStopped) {
			t.Errorf("feed after Run: open %v, err %v", open, kept.Err())
		}
		if _, _, err := s.Subscribe(context.Background()); !errors.Is(err, ErrStopped) {
			t.Errorf("Subscribe after Run = %v, want ErrStopped", err)
		}
	})
}
