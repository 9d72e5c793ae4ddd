package switchboard

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
)

// talkThenOperatorHangsUp brings caller ch to operator ext's handset and ends the conversation as
// the benchmark's operators do: the handset hangs up first, hotline hangs the caller up. It returns
// the requests of the answer and of the end.
func talkThenOperatorHangsUp(h *harness, ch string) (answer, end []string) {
	h.t.Helper()
	m := h.mark()
	h.arrive(ch, "2"+ch)
	or := h.oneOriginate(m)
	m = h.mark()
	h.answer(or)
	answer = h.opsSince(m)
	h.advance(5 * time.Second)
	m = h.mark()
	h.hangup(or.Channel)
	h.hangup(ch)
	end = h.opsSince(m)
	h.advance(time.Minute) // wrap-up
	return answer, end
}

func bridgeOps(ops []string) []string {
	return slices.DeleteFunc(slices.Clone(ops), func(s string) bool { return !strings.Contains(s, "bridge") })
}

// Two calls through one operator: the first bridge is made, not destroyed at the end, and the
// second call's channels are put in it (one request where there were three).
func TestBridgeKeptForTheNextCall(t *testing.T) {
	h := newHarness(t, testConfig(), op(1, "1001"))
	h.login("1001")
	answer1, end1 := talkThenOperatorHangsUp(h, "c1")
	got := bridgeOps(answer1)
	if len(got) != 2 || !strings.HasPrefix(got[0], "create-bridge c1-bridge") || !strings.HasPrefix(got[1], "add-to-bridge c1-bridge") {
		t.Fatalf("first answer's bridge requests = %q, want one made and joined", got)
	}
	first := strings.TrimPrefix(got[0], "create-bridge ")
	if got := bridgeOps(end1); len(got) != 0 {
		t.Errorf("first call's end: %q, want the bridge kept", got)
	}
	if !slices.Equal(h.s.idleBridges, []string{first}) {
		t.Errorf("idle bridges = %q, want the first call's", h.s.idleBridges)
	}
	answer2, end2 := talkThenOperatorHangsUp(h, "c2")
	if got := bridgeOps(answer2); len(got) != 1 || !strings.HasPrefix(got[0], "add-to-bridge "+first+" c2,c2-op") {
		t.Errorf("second answer's bridge requests = %q, want only c2 and its operator put in %s", got, first)
	}
	if got := bridgeOps(end2); len(got) != 0 {
		t.Errorf("second call's end: %q, want the bridge kept", got)
	}
	if l := h.leg("c2"); l.End != hotline.LegCompleted || l.RecordingName == "" {
		t.Errorf("second leg = %+v, want completed, recorded", l)
	}
	if len(h.s.bridgeAwaits) != 0 || len(h.s.idleBridges) != 1 {
		t.Errorf("awaiting %v, idle %q: want one idle bridge and nothing waiting", h.s.bridgeAwaits, h.s.idleBridges)
	}
}

// Every end but "the operator's channel gone, the caller hung up by hotline" destroys the bridge as
// before; so does a bridge something records in, or one whose recording's answer has not come.
func TestBridgeNotKept(t *testing.T) {
	tests := []struct {
		name string
		fail func(Op) error
		hold func(Op) bool
		end  func(h *harness, caller, operator string)
	}{
		{name: "caller hangs up first: the handset stays for wrap-up", end: func(h *harness, caller, operator string) {
			h.hangup(caller)
		}},
		{name: "recorded in the bridge", fail: func(o Op) error {
			if _, ok := o.(RecordCall); ok {
				return fmt.Errorf("ari: %w", ErrRecordedInBridge)
			}
			return nil
		}},
		{name: "recording's answer not come", hold: func(o Op) bool { _, ok := o.(RecordCall); return ok }},
		{name: "the bridge's join not answered", hold: func(o Op) bool { _, ok := o.(AddToBridge); return ok }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, testConfig(), op(1, "1001"))
			h.login("1001")
			h.fail, h.hold = tt.fail, tt.hold
			h.arrive("c1", "201")
			or := h.oneOriginate(0)
			h.answer(or)
			m := h.mark()
			if tt.end != nil {
				tt.end(h, "c1", or.Channel)
			} else {
				h.hangup(or.Channel)
				h.hangup("c1")
			}
			h.release(func(Op) bool { return true })
			h.wantOps(m, "destroy-bridge c1-bridge")
			if len(h.s.idleBridges) != 0 || len(h.s.bridgeAwaits) != 0 {
				t.Errorf("idle %q, awaiting %v: want none kept", h.s.idleBridges, h.s.bridgeAwaits)
			}
		})
	}
}

// A kept bridge Asterisk no longer has (it restarted): the call gets a new one and goes on.
func TestKeptBridgeGoneCallGetsANewOne(t *testing.T) {
	h := newHarness(t, testConfig(), op(1, "1001"))
	h.login("1001")
	talkThenOperatorHangsUp(h, "c1")
	kept := h.s.idleBridges[0]
	h.fail = func(o Op) error {
		if a, ok := o.(AddToBridge); ok && a.Bridge == kept {
			return errors.New("ari: 404 Bridge not found")
		}
		return nil
	}
	m := h.mark()
	h.arrive("c2", "202")
	or := h.oneOriginate(m)
	h.answer(or)
	h.wantOps(m, "add-to-bridge "+kept, "destroy-bridge "+kept, "create-bridge c2-bridge", "add-to-bridge c2-bridge")
	if c := h.s.calls["c2"]; c == nil || c.state != stateBridged || !strings.HasPrefix(c.bridge, "c2-bridge") {
		t.Fatalf("call c2 = %+v, want bridged in a new bridge", c)
	}
	h.wantPresence(1, hotline.PresenceTalking)
	h.noOps(m, "hangup c2")
	// The new bridge is clean: it is kept in turn.
	h.hangup(or.Channel)
	h.hangup("c2")
	if len(h.s.idleBridges) != 1 || !strings.HasPrefix(h.s.idleBridges[0], "c2-bridge") {
		t.Errorf("idle bridges = %q, want c2's new one", h.s.idleBridges)
	}
	if l := h.leg("c2"); l.End != hotline.LegCompleted {
		t.Errorf("leg c2 = %+v, want completed", l)
	}
}

// No more idle bridges than operators logged in: the one over is destroyed once emptied.
func TestBridgePoolBound(t *testing.T) {
	h := newHarness(t, testConfig(), op(1, "1001"), op(2, "1002"))
	h.login("1001")
	h.login("1002")
	var ors []Originate
	for _, ch := range []string{"c1", "c2"} {
		m := h.mark()
		h.arrive(ch, "2"+ch)
		or := h.oneOriginate(m)
		h.answer(or)
		ors = append(ors, or)
	}
	h.s.logout(h.s.byExt["1002"]) // one operator left: one idle bridge
	m := h.mark()
	for i, ch := range []string{"c1", "c2"} {
		h.hangup(ors[i].Channel)
		h.hangup(ch)
	}
	if len(h.s.idleBridges) != 1 || !strings.HasPrefix(h.s.idleBridges[0], "c1-bridge") {
		t.Errorf("idle bridges = %q, want c1's only", h.s.idleBridges)
	}
	h.wantOps(m, "destroy-bridge c2-bridge")
	h.noOps(m, "destroy-bridge c1-bridge")
}

// A transfer takes the channels out of the bridge: it is never kept, and the call's last bridge,
// the target's, is kept only as any answered call's is.
func TestBridgeOfATransferredLegNotKept(t *testing.T) {
	h := newHarness(t, testConfig(), op(1, "1001"), op(2, "1002"))
	h.login("1001")
	h.login("1002")
	h.arrive("c1", "201")
	or := h.oneOriginate(0)
	h.answer(or)
	if err := h.request(func(s *Switchboard) error {
		return s.startTransfer(s.calls["c1"], s.calls["c1"].offer, s.operators[2], "")
	}); err != nil {
		t.Fatalf("transfer: %v", err)
	}
	c := h.s.calls["c1"]
	if c.bridgeOwn != "" || h.s.bridgeClean(c) {
		t.Errorf("bridge own %q, clean %v while transferring: want neither", c.bridgeOwn, h.s.bridgeClean(c))
	}
}

// A restarted daemon adopts no idle bridge: bridges of ours with nothing adopted into them are
// destroyed with the other leftovers, and the new run's pool starts empty.
func TestRestartDestroysIdleBridges(t *testing.T) {
	h := newHarness(t, testConfig(), op(1, "1001"))
	h.s.loadOpenLegs()
	h.settle()
	h.login("1001")
	m := h.mark()
	h.send(Inventory{Bridges: []BridgeInfo{{ID: "old-bridge7"}, {ID: "elsewhere", Foreign: true}}})
	h.wantOps(m, "destroy-bridge old-bridge7")
	h.noOps(m, "destroy-bridge elsewhere")
	if len(h.s.idleBridges) != 0 {
		t.Errorf("idle bridges after a restart = %q, want none", h.s.idleBridges)
	}
}
