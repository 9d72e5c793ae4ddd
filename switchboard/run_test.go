package switchboard

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
)

// lockedJournal makes the fake journal safe for the writer goroutine and tells the test about
// each saved leg.
type lockedJournal struct {
	mu   sync.Mutex
	j    *fakeJournal
	legs chan hotline.Leg
}

func (l *lockedJournal) Operators(ctx context.Context) ([]hotline.Operator, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.j.Operators(ctx)
}

// Write applies w to the fake journal under the lock, and tells the test about each saved leg.
func (l *lockedJournal) Write(ctx context.Context, w Write) (Filed, error) {
	l.mu.Lock()
	cc, err := l.j.Write(ctx, w)
	l.mu.Unlock()
	if w.SaveLeg != nil {
		l.legs <- *w.SaveLeg
	}
	return cc, err
}

// The reads: under the lock, from the fake journal.

func (l *lockedJournal) OpenLegs(ctx context.Context) ([]hotline.Leg, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.j.OpenLegs(ctx)
}

func (l *lockedJournal) WaitingCallbacks(ctx context.Context) ([]hotline.Leg, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.j.WaitingCallbacks(ctx)
}

func (l *lockedJournal) OpenCaseCounts(ctx context.Context) (map[int64]int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.j.OpenCaseCounts(ctx)
}

func (l *lockedJournal) AnsweredSince(ctx context.Context, since time.Time) (map[int64]int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.j.AnsweredSince(ctx, since)
}

func (l *lockedJournal) Specialists(ctx context.Context, topic int) ([]int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.j.Specialists(ctx, topic)
}

var _ Journal = (*lockedJournal)(nil)

// fakeAsterisk answers requests the way Asterisk would, reporting events back through Deliver
// from its own goroutines: playbacks finish, the operator answers at once, hangups end channels.
func fakeAsterisk(s *Switchboard) Telephony {
	return TelephonyFunc(func(ctx context.Context, op Op) error {
		deliver := func(evs ...Event) {
			go func() {
				for _, ev := range evs {
					if err := s.Deliver(context.Background(), ev); err != nil {
						return
					}
				}
			}()
		}
		switch op := op.(type) {
		case Play:
			deliver(PlaybackFinished{Playback: op.Playback})
		case Originate:
			deliver(StasisStart{Channel: op.Channel, Name: op.Endpoint + "-00000001", Entry: op.Entry})
		case Hangup:
			deliver(StasisEnd{Channel: op.Channel}, ChannelDestroyed{Channel: op.Channel, Cause: 16})
		case Continue:
			deliver(StasisEnd{Channel: op.Channel}) // on to the dialplan
		}
		return nil
	})
}

// The real loop, goroutines and all, under the race detector: a call goes through from arrival to
// its completed leg, the admin methods work while it does, and Run flushes the journal on the way
// out.
func TestRunEndToEnd(t *testing.T) {
	j := &lockedJournal{j: &fakeJournal{operators: []hotline.Operator{op(1, "1001")}, cases: map[string]Filed{},
		legs: map[string]hotline.Leg{}}, legs: make(chan hotline.Leg, 64)}
	cfg := DefaultConfig()
	cfg.Routing.WrapUp = 0
	log := slog.New(slog.NewTextHandler(t.Output(), nil))
	var s *Switchboard
	tel := TelephonyFunc(func(ctx context.Context, op Op) error { return fakeAsterisk(s).Do(ctx, op) })
	s, err := New(cfg, tel, j, SystemClock{}, log)
	if err != nil {
		t.Fatal(err)
	}
	s.refusedMove = func(call string, from callState, ev callEvent) {
		t.Errorf("call %s: the call state machine refused %s in state %s", call, ev, from)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ran := make(chan error, 1)
	go func() { ran <- s.Run(ctx) }()

	// The operators load asynchronously: retry login until the switchboard knows operator 1.
	wait := time.After(10 * time.Second)
	for {
		err := s.Login(ctx, hotline.SystemActor, 1)
		if err == nil {
			break
		}
		if hotline.ErrorCode(err) != hotline.ENOTFOUND {
			t.Fatal(err)
		}
		select {
		case <-wait:
			t.Fatal("operators never loaded")
		case <-time.After(10 * time.Millisecond):
		}
	}
	if err := s.Deliver(ctx, StasisStart{Channel: "c1", CallerNumber: "201", Entry: Inbound{}}); err != nil {
		t.Fatal(err)
	}
	next := func(what string, ok func(hotline.Leg) bool) {
		t.Helper()
		for {
			select {
			case l := <-j.legs:
				if ok(l) {
					return
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("no leg %s", what)
			}
		}
	}
	next("answered", func(l hotline.Leg) bool { return !l.AnsweredAt.IsZero() })
	st, err := s.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Operators) != 1 || st.Operators[0].Presence != hotline.PresenceTalking || st.Operators[0].CallID != "c1" {
		t.Errorf("status while talking = %+v", st.Operators)
	}
	if err := s.Pause(ctx, hotline.SystemActor, 1, "2"); err != nil {
		t.Fatal(err)
	}
	if err := s.Deliver(ctx, StasisEnd{Channel: "c1"}); err != nil {
		t.Fatal(err)
	}
	next("ended", func(l hotline.Leg) bool { return l.End == hotline.LegCompleted })
	if st, _ := s.Status(ctx); st.Operators[0].Presence != hotline.PresencePaused || st.Operators[0].CallsToday != 1 {
		t.Errorf("status after the call = %+v, want paused with one call", st.Operators[0])
	}
	cancel()
	if err := <-ran; !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
	if err := s.Deliver(context.Background(), DTMF{}); !errors.Is(err, ErrStopped) {
		t.Errorf("Deliver after Run = %v, want ErrStopped", err)
	}
	if err := s.Run(context.Background()); err == nil {
		t.Errorf("second Run succeeded")
	}
}

// blockingJournal holds StartCall until released, like a disk that stalls.
type blockingJournal struct {
	lockedJournal
	entered, release chan struct{}
}

func (b *blockingJournal) Write(ctx context.Context, w Write) (Filed, error) {
	if w.StartCall != nil {
		close(b.entered)
		<-b.release
	}
	return b.lockedJournal.Write(ctx, w)
}

// Shutting down while the journal is slow and events keep coming: Run still returns once the
// writes already asked for are done, and nothing waits forever on the stopped loop.
func TestRunStopsWithSlowJournal(t *testing.T) {
	j := &blockingJournal{
		lockedJournal: lockedJournal{j: &fakeJournal{cases: map[string]Filed{}, legs: map[string]hotline.Leg{}},
			legs: make(chan hotline.Leg, 64)},
		entered: make(chan struct{}), release: make(chan struct{}),
	}
	s, err := New(DefaultConfig(), TelephonyFunc(func(context.Context, Op) error { return nil }), j, SystemClock{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- s.Run(ctx) }()
	if err := s.Deliver(ctx, StasisStart{Channel: "c1", CallerNumber: "201", Entry: Inbound{}}); err != nil {
		t.Fatal(err)
	}
	<-j.entered // the writer is stuck in StartCall
	cancel()
	// Events keep arriving after the stop; more than the inbox holds.
	for range 2 * cap(s.inbox) {
		dctx, dcancel := context.WithTimeout(context.Background(), time.Millisecond)
		_ = s.Deliver(dctx, DTMF{Channel: "c1", Digit: "5"})
		dcancel()
	}
	close(j.release) // StartCall returns and posts its result to the stopped loop
	select {
	case err := <-ran:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return: something waits on the stopped loop")
	}
	if len(j.j.started) != 1 {
		t.Errorf("StartCall ran %d times, want 1", len(j.j.started))
	}
}
