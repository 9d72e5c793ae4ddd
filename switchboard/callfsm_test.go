package switchboard

import (
	"fmt"
	"testing"
)

// The call state machine, pair by pair: every (state, event) the table answers, refused pairs
// included, against the transitions written out once more here. A change to the table must be
// made in both, on purpose.
func TestCallTableEveryPair(t *testing.T) {
	type pair struct {
		st callState
		ev callEvent
	}
	allowed := map[pair]callState{
		{stateNew, evArrived}:    stateGreeting,
		{stateNew, evCalledBack}: stateQueued,
		{stateNew, evAdopted}:    stateBridged,
		{stateNew, evRequeued}:   stateQueued,

		{stateGreeting, evGreeted}:    stateQueued,
		{stateGreeting, evOverflowed}: stateOverflow,
		{stateGreeting, evHandedOver}: stateHandedOver,
		{stateGreeting, evHangUp}:     stateHangingUp,
		{stateGreeting, evGone}:       stateEnded,

		{stateQueued, evOffered}:     stateQueued,
		{stateQueued, evNotAnswered}: stateQueued,
		{stateQueued, evAnswered}:    stateBridged,
		{stateQueued, evOverflowed}:  stateOverflow,
		{stateQueued, evHandedOver}:  stateHandedOver,
		{stateQueued, evHangUp}:      stateHangingUp,
		{stateQueued, evGone}:        stateEnded,

		{stateBridged, evTransferStarted}: stateBridged,
		{stateBridged, evTransferFailed}:  stateBridged,
		{stateBridged, evTransferred}:     stateBridged,
		{stateBridged, evBackToQueue}:     stateQueued,
		{stateBridged, evOperatorHungUp}:  stateHangingUp,
		{stateBridged, evHangUp}:          stateHangingUp,
		{stateBridged, evGone}:            stateEnded,

		{stateOverflow, evHangUp}: stateHangingUp,
		{stateOverflow, evGone}:   stateEnded,

		{stateHandedOver, evHangUp}: stateHangingUp,
		{stateHandedOver, evGone}:   stateEnded,

		{stateHangingUp, evGone}: stateEnded,
	}
	table := callTable()
	for st := range callState(numCallStates) {
		for ev := range callEvent(numCallEvents) {
			t.Run(fmt.Sprintf("%s/%s", st, ev), func(t *testing.T) {
				cell := table[st][ev]
				// Total: every cell written, as a state or as refused (stateNew is the zero value
				// of a cell left out, and no event leads there).
				if cell != refused && (cell <= stateNew || int(cell) >= numCallStates) {
					t.Fatalf("cell not written, or not a state: %d", int(cell))
				}
				want, ok := allowed[pair{st, ev}]
				got, took := transition(st, ev)
				switch {
				case ok && (!took || got != want):
					t.Errorf("transition = %s, %v; want %s", got, took, want)
				case !ok && took:
					t.Errorf("transition = %s, taken; want refused", got)
				case !ok && got != refused:
					t.Errorf("a refused pair answers %s; want refused", got)
				}
			})
		}
	}
	if t.Failed() {
		return
	}
	if n := len(allowed); n != 28 {
		t.Errorf("%d allowed transitions listed", n)
	}
}

// Every state is reached from stateNew, every event is taken somewhere, and only stateEnded takes
// nothing: the table has no dead part.
func TestCallTableReach(t *testing.T) {
	table := callTable()
	seen := map[callState]bool{stateNew: true}
	todo := []callState{stateNew}
	used := map[callEvent]bool{}
	for len(todo) > 0 {
		st := todo[0]
		todo = todo[1:]
		out := 0
		for ev, to := range table[st] {
			if to == refused {
				continue
			}
			out++
			used[callEvent(ev)] = true
			if !seen[to] {
				seen[to] = true
				todo = append(todo, to)
			}
		}
		if (out == 0) != (st == stateEnded) {
			t.Errorf("state %s takes %d events", st, out)
		}
	}
	for st := range callState(numCallStates) {
		if !seen[st] {
			t.Errorf("state %s is never reached", st)
		}
	}
	for ev := range callEvent(numCallEvents) {
		if !used[ev] {
			t.Errorf("event %s is taken in no state", ev)
		}
		if ev.String() == fmt.Sprintf("callEvent(%d)", int(ev)) {
			t.Errorf("event %d has no name", int(ev))
		}
	}
}

// A refused move leaves the state as it was and is reported; out-of-range values are refused.
func TestMoveRefused(t *testing.T) {
	h := newHarness(t, testConfig())
	var got []string
	h.s.refusedMove = func(call string, from callState, ev callEvent) {
		got = append(got, fmt.Sprintf("%s %s %s", call, from, ev))
	}
	c := &call{id: "a", state: stateEnded}
	if h.s.move(c, evAnswered) || c.state != stateEnded {
		t.Errorf("ended call answered: state %s", c.state)
	}
	c.state = stateQueued
	if !h.s.move(c, evAnswered) || c.state != stateBridged {
		t.Errorf("queued call answered: state %s", c.state)
	}
	if want := []string{"a ended answered"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("refused moves reported %q, want %q", got, want)
	}
	if _, ok := transition(callState(numCallStates), evGone); ok {
		t.Error("an unknown state took an event")
	}
	if _, ok := transition(stateQueued, callEvent(numCallEvents)); ok {
		t.Error("an unknown event was taken")
	}
}
