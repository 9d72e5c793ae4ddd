package switchboard

import (
	"slices"
	"testing"

	"github.com/hotline-dev/hotline"
)

// Operator free → next caller offered: whatever frees an operator, the presence book marks it
// (becameFree, told what ended) and the caller waiting is offered to them in the same message.
func TestBecameFreeOffersNextCaller(t *testing.T) {
	cfg := testConfig()
	run := func(h *harness, f func(s *Switchboard, op *operator)) {
		h.s.dispatch(command{run: func(s *Switchboard) { f(s, s.byExt["1001"]) }})
		h.settle()
	}
	tests := []struct {
		name    string
		prepare func(h *harness) // leaves operator 1 not free and a caller waiting
		free    func(h *harness)
		was     hotline.Presence
	}{
		{"login",
			func(h *harness) { h.arrive("c1", "+100") },
			func(h *harness) { h.login("1001") },
			hotline.PresenceLoggedOut},
		{"resume",
			func(h *harness) {
				h.login("1001")
				run(h, func(s *Switchboard, op *operator) { _ = s.pause(op, "1") })
				h.arrive("c1", "+100")
			},
			func(h *harness) { run(h, func(s *Switchboard, op *operator) { _ = s.resume(op) }) },
			hotline.PresencePaused},
		{"handset reachable again",
			func(h *harness) {
				h.login("1001")
				h.send(DeviceState{Extension: "1001", Reachable: false})
				h.arrive("c1", "+100")
			},
			func(h *harness) { h.send(DeviceState{Extension: "1001", Reachable: true}) },
			hotline.PresenceUnreachable},
		{"wrap-up over",
			func(h *harness) {
				h.login("1001")
				m := h.mark()
				h.arrive("c0", "+100")
				h.answer(h.oneOriginate(m))
				h.hangup("c0")
				h.arrive("c1", "+101")
			},
			func(h *harness) { h.advance(cfg.Routing.WrapUp) },
			hotline.PresenceWrapUp},
		{"ring not answered",
			func(h *harness) {
				h.login("1001")
				h.arrive("c0", "+100")
				h.arrive("c1", "+101") // c0 is not offered to 1001 again at once: c1 is
			},
			func(h *harness) { h.advance(cfg.RingTimeout) },
			hotline.PresenceRinging},
		{"ring declined",
			func(h *harness) {
				h.login("1001")
				h.arrive("c0", "+100")
				h.arrive("c1", "+101")
			},
			func(h *harness) {
				o := h.oneOriginate(0)
				h.send(ChannelDestroyed{Channel: o.Channel, Cause: 21})
			},
			hotline.PresenceRinging},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, cfg, op(1, "1001"))
			tt.prepare(h)
			if p := h.presence(1); p == hotline.PresenceAvailable {
				t.Fatalf("operator free before the step")
			}
			var freed []hotline.Presence
			h.s.onFree = func(id int64, was hotline.Presence) {
				if id == 1 {
					freed = append(freed, was)
				}
			}
			m := h.mark()
			tt.free(h)
			if want := []hotline.Presence{tt.was}; !slices.Equal(freed, want) {
				t.Errorf("became free %v, want %v", freed, want)
			}
			or := h.oneOriginate(m)
			if or.Endpoint != "PJSIP/1001" || entryKind(or.Entry) != "offer" {
				t.Errorf("offered %v, want the waiting caller to 1001", or)
			}
			h.wantPresence(1, hotline.PresenceRinging)
		})
	}
}

// A transfer's target who did not take the call is free again, and the caller waiting is offered
// to them at once.
func TestBecameFreeAfterTransferNotTaken(t *testing.T) {
	h := newHarness(t, testConfig(), op(1, "1001"), op(4, "1004"))
	h.login("1001")
	m := h.mark()
	h.arrive("c1", "+101")
	or := h.oneOriginate(m)
	h.answer(or)
	h.login("1004")
	h.key(or.Channel, "**1004#")
	h.wantPresence(4, hotline.PresenceRinging)
	h.arrive("c2", "+102")
	var freed []hotline.Presence
	h.s.onFree = func(id int64, was hotline.Presence) {
		if id == 4 {
			freed = append(freed, was)
		}
	}
	m = h.mark()
	h.advance(testConfig().RingTimeout)
	if want := []hotline.Presence{hotline.PresenceRinging}; !slices.Equal(freed, want) {
		t.Errorf("became free %v, want %v", freed, want)
	}
	if or := h.oneOriginate(m); or.Endpoint != "PJSIP/1004" || or.Entry != (Offer{Call: "c2"}) {
		t.Errorf("offered %+v, want c2 to 1004", or)
	}
}
