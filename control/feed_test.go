package control

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/switchboard"
)

// quietJournal is a journal with one operator that files everything and reads nothing back.
type quietJournal struct{}

func (quietJournal) Operators(context.Context) ([]hotline.Operator, error) {
	o := operators[7]
	o.Extension, o.Level = "1001", hotline.Level1
	return []hotline.Operator{o}, nil
}
func (quietJournal) LastPresence(context.Context) ([]hotline.PresenceEvent, error) { return nil, nil }
func (quietJournal) Write(context.Context, switchboard.Write) (switchboard.Filed, error) {
	return switchboard.Filed{}, nil
}
func (quietJournal) OpenLegs(context.Context) ([]hotline.Leg, error)         { return nil, nil }
func (quietJournal) WaitingCallbacks(context.Context) ([]hotline.Leg, error) { return nil, nil }
func (quietJournal) OpenCaseCounts(context.Context) (map[int64]int, error)   { return nil, nil }
func (quietJournal) AnsweredSince(context.Context, time.Time) (map[int64]int, error) {
	return nil, nil
}
func (quietJournal) Specialists(context.Context, int) ([]int64, error) {
	return nil, hotline.Errorf(hotline.ENOTFOUND, "no scripts")
}

// runLive runs a real switchboard whose Asterisk plays at once and whose operator answers at
// once, with operator 7 logged in.
func runLive(t *testing.T) *switchboard.Switchboard {
	t.Helper()
	var s *switchboard.Switchboard
	tel := switchboard.TelephonyFunc(func(_ context.Context, op switchboard.Op) error {
		var evs []switchboard.Event
		switch op := op.(type) {
		case switchboard.Play:
			evs = append(evs, switchboard.PlaybackFinished{Playback: op.Playback})
		case switchboard.Originate:
			evs = append(evs, switchboard.StasisStart{Channel: op.Channel, Name: op.Endpoint + "-00000001", Entry: op.Entry})
		case switchboard.Hangup:
			evs = append(evs, switchboard.StasisEnd{Channel: op.Channel}, switchboard.ChannelDestroyed{Channel: op.Channel, Cause: 16})
		}
		go func() {
			for _, ev := range evs {
				if s.Deliver(context.Background(), ev) != nil {
					return
				}
			}
		}()
		return nil
	})
	cfg := switchboard.DefaultConfig()
	cfg.Routing.WrapUp = 0
	s, err := switchboard.New(cfg, tel, quietJournal{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- s.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-ran })
	for {
		err := s.Login(ctx, hotline.SystemActor, 7)
		if err == nil {
			return s
		}
		if hotline.ErrorCode(err) != hotline.ENOTFOUND {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond) // the operators load off the loop
	}
}

// A client follows the feed over the socket while a call comes, is answered and ends: it sees
// each step, in order, without gaps (Follow checks), and ends with the state the daemon has.
func TestFollowOverSocket(t *testing.T) {
	s := runLive(t)
	c, _ := serve(t, &fakeBoard{live: s}, selfAuthority())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	type update struct {
		st   switchboard.Snapshot
		step []switchboard.Change
	}
	updates := make(chan update, 100)
	followed := make(chan error, 1)
	go func() {
		followed <- c.Follow(ctx, func(st switchboard.Snapshot, step []switchboard.Change) error {
			updates <- update{st, step}
			return nil
		})
	}()
	first := <-updates
	if first.step != nil || len(first.st.Operators) != 1 || first.st.Operators[0].Presence != hotline.PresenceAvailable {
		t.Fatalf("first update = %+v, want the snapshot with operator 7 available", first)
	}
	// waitFor reads updates until a step with a change of kind for call c1, and returns the state
	// after that step.
	waitFor := func(kind switchboard.ChangeKind) switchboard.Snapshot {
		t.Helper()
		var seen []string
		for {
			select {
			case u := <-updates:
				for _, ch := range u.step {
					seen = append(seen, string(ch.Kind))
					if ch.Kind == kind && ch.Call != nil && ch.Call.ID == "c1" {
						return u.st
					}
				}
			case err := <-followed:
				t.Fatalf("Follow ended: %v (seen %v)", err, seen)
			case <-ctx.Done():
				t.Fatalf("no %s; seen %v", kind, seen)
			}
		}
	}
	if err := s.Deliver(ctx, switchboard.StasisStart{Channel: "c1", CallerNumber: "201", Entry: switchboard.Inbound{}}); err != nil {
		t.Fatal(err)
	}
	waitFor(switchboard.CallArrived)
	st := waitFor(switchboard.CallAnswered)
	if len(st.Calls) != 1 || st.Calls[0].OperatorID != 7 || st.Operators[0].Presence != hotline.PresenceTalking ||
		st.Operators[0].CallID != "c1" {
		t.Errorf("state while talking = %+v", st)
	}
	if err := s.Deliver(ctx, switchboard.StasisEnd{Channel: "c1"}); err != nil {
		t.Fatal(err)
	}
	st = waitFor(switchboard.CallEnded)
	// Wait for the quiet state (wrap-up 0: available again), then compare with a fresh snapshot.
	for len(st.Operators) != 1 || st.Operators[0].Presence != hotline.PresenceAvailable {
		select {
		case u := <-updates:
			st = u.st
		case <-ctx.Done():
			t.Fatalf("operator never available again: %+v", st)
		}
	}
	fresh, err := c.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fresh.At = st.At
	if !reflect.DeepEqual(norm(fresh), norm(st)) {
		t.Errorf("followed state:\n %+v\nsnapshot:\n %+v", st, fresh)
	}
	cancel()
	if err := <-followed; !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Follow after cancel = %v", err)
	}
}

// norm is what of a snapshot two readers must agree on (an empty slice and nil alike).
func norm(s switchboard.Snapshot) string {
	return fmt.Sprintf("%d %v %v %v %v", s.Seq, s.Service, len(s.Queue), s.Calls, s.Operators)
}
