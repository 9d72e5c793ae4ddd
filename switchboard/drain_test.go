package switchboard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
)

// While draining, a new caller goes back to the dialplan unanswered and nothing is filed; callers
// already waiting are still offered. Handed over at the end, a waiting caller goes to the dialplan
// too, their leg ended "overflow"; the call in progress is left alone.
func TestDrain(t *testing.T) {
	h := newHarness(t, testConfig(), op(1, "1001"))
	h.login("1001")
	h.arrive("c1", "79001112233")
	h.answer(h.oneOriginate(0))
	h.arrive("c2", "79002223344")

	h.s.dispatch(command{run: func(s *Switchboard) { s.draining = true }})
	h.settle()
	m := h.mark()
	started := len(h.j.started)
	h.send(StasisStart{Channel: "c3", Name: "PJSIP/trunk-0003", CallerNumber: "79003334455", Entry: Inbound{}})
	h.wantOps(m, "continue c3")
	h.noOps(m, "answer c3")
	if len(h.j.started) != started {
		t.Errorf("a call turned away while draining was filed: %+v", h.j.started[started:])
	}
	if !h.status().Draining || h.status().Calls != 2 {
		t.Errorf("status %+v, want draining with the 2 calls", h.status())
	}

	m = h.mark()
	h.s.dispatch(command{run: func(s *Switchboard) { s.handOverWaiting() }})
	h.settle()
	h.wantOps(m, "continue c2")
	h.noOps(m, "hangup c1")
	if st := h.status(); st.Calls != 2 || len(st.Queue) != 0 {
		t.Errorf("status %+v after the hand-over: want c2 out of the queue, still a call until it leaves", st)
	}
	h.send(StasisEnd{Channel: "c2"}) // the dialplan has it
	if l := h.leg("c2"); l.End != hotline.LegOverflow {
		t.Errorf("handed-over caller's leg ended %q, want overflow", l.End)
	}
	if st := h.status(); st.Calls != 1 {
		t.Errorf("%d calls after the hand-over, want the one in progress", st.Calls)
	}
}

// Drain through the real loop, as the daemon calls it at a SIGTERM with shutdown.drain 0 and
// waiting: fallback: the drain time is over at once, the waiting caller is handed to the dialplan,
// and Drain returns only once the channel has left, its leg written as overflow.
func TestDrainHandsOverThroughRun(t *testing.T) {
	j := &lockedJournal{j: &fakeJournal{operators: []hotline.Operator{op(1, "1001")}, cases: map[string]Filed{},
		legs: map[string]hotline.Leg{}}, legs: make(chan hotline.Leg, 64)}
	var s *Switchboard
	var mu sync.Mutex
	var continued []string
	tel := TelephonyFunc(func(ctx context.Context, o Op) error {
		if c, ok := o.(Continue); ok {
			mu.Lock()
			continued = append(continued, c.Channel)
			mu.Unlock()
		}
		return fakeAsterisk(s).Do(ctx, o)
	})
	s, err := New(DefaultConfig(), tel, j, SystemClock{}, slog.New(slog.NewTextHandler(t.Output(), nil)))
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
	if err := s.Deliver(ctx, StasisStart{Channel: "c1", CallerNumber: "201", Entry: Inbound{}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	for queued := false; !queued; {
		st, err := s.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		queued = len(st.Queue) == 1
		select {
		case <-deadline:
			t.Fatalf("caller never queued: %+v", st)
		case <-time.After(10 * time.Millisecond):
		}
	}
	over, stop := context.WithCancel(ctx)
	stop() // shutdown.drain: 0
	if err := s.Drain(over, true); !errors.Is(err, context.Canceled) {
		t.Fatalf("Drain: %v, want the drain context's end", err)
	}
	mu.Lock()
	got := fmt.Sprint(continued)
	mu.Unlock()
	if got != "[c1]" {
		t.Errorf("sent to the dialplan: %s, want [c1]", got)
	}
	st, err := s.Status(ctx)
	if err != nil || st.Calls != 0 || !st.Draining {
		t.Errorf("after Drain: %+v, %v; want draining with no call", st, err)
	}
	for {
		select {
		case l := <-j.legs:
			if l.End == hotline.LegOverflow {
				cancel()
				<-ran
				return
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no leg ended overflow for the handed-over caller")
		}
	}
}
