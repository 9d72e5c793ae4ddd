package switchboard

import (
	"testing"

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
	h.send(StasisStart{Channel: "c3", Name: "PJSIP/trunk-0003", CallerNumber: "79003334455", Args: []string{"inbound"}})
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
	if l := h.leg("c2"); l.End != hotline.LegOverflow {
		t.Errorf("handed-over caller's leg ended %q, want overflow", l.End)
	}
	if st := h.status(); st.Calls != 1 {
		t.Errorf("%d calls after the hand-over, want the one in progress", st.Calls)
	}
}
