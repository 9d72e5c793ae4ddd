package switchboard

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
)

// slowJournal applies each write after a pause, as a busy journal does: what Settled waits for.
type slowJournal struct{ *lockedJournal }

func (s slowJournal) Write(ctx context.Context, w Write) (Filed, error) {
	time.Sleep(50 * time.Millisecond)
	return s.lockedJournal.Write(ctx, w)
}

// Settled returns once every journal write asked before it is applied, with the loop's time
// then: after a call arrived, the call is in the journal when Settled returns, and the time is
// not before its arrival (the queue_log stream writes the lines before that time).
func TestSettledWaitsForTheJournal(t *testing.T) {
	lj := &lockedJournal{j: &fakeJournal{operators: []hotline.Operator{op(1, "1001")}, cases: map[string]Filed{},
		legs: map[string]hotline.Leg{}}, legs: make(chan hotline.Leg, 64)}
	var s *Switchboard
	s, err := New(DefaultConfig(), TelephonyFunc(func(ctx context.Context, o Op) error { return fakeAsterisk(s).Do(ctx, o) }),
		slowJournal{lj}, SystemClock{}, slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- s.Run(ctx) }()
	defer func() { cancel(); <-ran }()
	before := time.Now()
	for _, ch := range []string{"c1", "c2", "c3"} {
		if err := s.Deliver(ctx, StasisStart{Channel: ch, CallerNumber: "201", Entry: Inbound{}}); err != nil {
			t.Fatal(err)
		}
	}
	st, err := s.Settled(ctx)
	if err != nil {
		t.Fatal(err)
	}
	at := st.At
	lj.mu.Lock()
	started := len(lj.j.started)
	lj.mu.Unlock()
	if started != 3 {
		t.Errorf("Settled returned with %d of the 3 arrivals in the journal", started)
	}
	if at.Before(before) {
		t.Errorf("settled at %v, before the arrivals (%v)", at, before)
	}
	// The count grows with the writes, and stays once the calls wait quietly in the queue (the
	// greetings done): the same count twice is what the stream takes for no new line.
	last := st.Writes
	for range 100 {
		again, err := s.Settled(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if again.Writes < last {
			t.Fatalf("writes counted %d, then %d", last, again.Writes)
		}
		if again.Writes == last {
			break
		}
		last = again.Writes
		time.Sleep(20 * time.Millisecond)
	}
	if st.Writes < 3 {
		t.Errorf("writes counted %d after 3 arrivals", st.Writes)
	}
}
