package switchboard

import (
	"maps"
	"slices"
	"testing"
	"time"
)

// perCall is what the switchboard keeps about calls, channels, playbacks and recordings: with no
// call live, all of it must be empty again, or a daemon that serves calls for weeks grows with
// every call it served. (operators, by_ext and forwards are per operator; published_ops and feeds
// per operator and consumer.)
func perCall(s *Switchboard) map[string]int {
	kept := map[string]int{}
	for name, n := range s.tracked() {
		switch name {
		case "operators", "by_ext", "forwards", "published_ops", "feeds":
			continue
		}
		if n != 0 {
			kept[name] = n
		}
	}
	return kept
}

// After calls ended every way a call ends, with the handsets' channels gone as Asterisk reports
// them, the switchboard keeps nothing about any of them.
func TestNothingKeptAfterCalls(t *testing.T) {
	isRecord := func(o Op) bool { _, ok := o.(RecordCall); return ok }
	tests := []struct {
		name string
		call func(h *harness)
	}{
		{"caller hangs up after talking", func(h *harness) {
			h.arrive("c1", "200")
			or := h.oneOriginate(0)
			h.answer(or)
			h.hangup("c1")
			h.advance(time.Minute) // wrap-up over: the handset is hung up
			h.hangup(or.Channel)
		}},
		{"operator hangs up first", func(h *harness) {
			h.arrive("c1", "200")
			or := h.oneOriginate(0)
			h.answer(or)
			h.hangup(or.Channel)
			h.hangup("c1")
			h.advance(time.Minute)
		}},
		{"caller hangs up during the greeting", func(h *harness) {
			h.send(StasisStart{Channel: "c1", CallerNumber: "200", Entry: Inbound{}})
			h.hangup("c1")
			h.finishPlay("c1") // Asterisk tells the greeting's end after
			h.advance(time.Minute)
		}},
		{"caller hangs up while the handset rings", func(h *harness) {
			h.arrive("c1", "200")
			or := h.oneOriginate(0)
			h.hangup("c1")
			h.hangup(or.Channel)
			h.advance(time.Minute)
		}},
		{"ring timeout, the next operator answers", func(h *harness) {
			h.arrive("c1", "200")
			first := h.oneOriginate(0)
			m := h.mark()
			h.advance(15 * time.Second)
			h.hangup(first.Channel)
			second := h.oneOriginate(m)
			h.answer(second)
			h.hangup("c1")
			h.advance(time.Minute)
			h.hangup(second.Channel)
		}},
		{"recording answered after the call ended", func(h *harness) {
			h.hold = isRecord
			h.arrive("c1", "200")
			or := h.oneOriginate(0)
			h.answer(or)
			h.hangup("c1")
			h.advance(time.Minute)
			h.hangup(or.Channel)
			h.release(isRecord)
		}},
		{"recording refused after the call ended", func(h *harness) {
			h.hold = isRecord
			h.fail = func(o Op) error {
				if isRecord(o) {
					return errTest
				}
				return nil
			}
			h.arrive("c1", "200")
			or := h.oneOriginate(0)
			h.answer(or)
			h.hangup("c1")
			h.advance(time.Minute)
			h.hangup(or.Channel)
			h.release(isRecord)
		}},
		{"Asterisk cuts the call", func(h *harness) {
			h.arrive("c1", "200")
			or := h.oneOriginate(0)
			h.answer(or)
			h.send(ChannelHangupRequest{Channel: "c1", Cause: 16, Soft: true},
				ChannelHangupRequest{Channel: or.Channel, Cause: 16, Soft: true})
			h.hangup("c1")
			h.hangup(or.Channel)
			h.advance(time.Minute)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, testConfig(), op(1, "1001"), op(2, "1002"))
			h.login("1001")
			h.clock.now = h.clock.now.Add(time.Second)
			h.login("1002")
			tt.call(h)
			if kept := perCall(h.s); len(kept) != 0 {
				t.Errorf("kept after the call: %v (entries by map)", kept)
				t.Logf("lanes %v, playbacks %v, recs %v, cut %v", slices.Sorted(maps.Keys(h.s.lanes)),
					slices.Sorted(maps.Keys(h.s.playbacks)), slices.Sorted(maps.Keys(h.s.recs)), slices.Sorted(maps.Keys(h.s.cut)))
			}
		})
	}
}
