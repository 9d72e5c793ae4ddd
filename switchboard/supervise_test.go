package switchboard

import (
	"strings"
	"testing"

	"github.com/hotline-dev/hotline"
)

var (
	chief      = hotline.Actor{Login: "chief", OperatorID: 9, Role: hotline.RoleAdministrator}
	operator1  = hotline.Actor{Login: "ivanova", OperatorID: 1, Role: hotline.RoleOperator}
	secondBoss = hotline.Actor{Login: "deputy", OperatorID: 8, Role: hotline.RoleAdministrator}
)

func administrator(id int64, ext string) hotline.Operator {
	o := op(id, ext)
	o.Role = hotline.RoleAdministrator
	return o
}

// superviseHarness: caller c1 talks to operator 1 (1001); administrator 9 (1009) is not logged in
// to take calls, administrator 8 (1008) also listens sometimes, operator 2 (1002) is free.
func superviseHarness(t *testing.T) (*harness, Originate) {
	t.Helper()
	h := newHarness(t, testConfig(), op(1, "1001"), op(2, "1002"), administrator(8, "1008"), administrator(9, "1009"))
	h.login("1001")
	m := h.mark()
	h.arrive("c1", "+79001112233")
	offer := h.oneOriginate(m)
	h.answer(offer)
	h.wantPresence(1, hotline.PresenceTalking)
	return h, offer
}

func (h *harness) listen(by hotline.Actor, call string, mode ListenMode) error {
	return h.request(func(s *Switchboard) error { return s.requestListen(by, call, mode) })
}

func (h *harness) lastSnoop(since int) Snoop {
	h.t.Helper()
	var out []Snoop
	for _, o := range h.ops[since:] {
		if sn, ok := o.(Snoop); ok {
			out = append(out, sn)
		}
	}
	if len(out) != 1 {
		h.t.Fatalf("want one snoop, got %d: %v", len(out), h.opsSince(since))
	}
	return out[0]
}

func (h *harness) supervisedSteps() []string {
	var out []string
	for _, s := range h.j.supervised {
		step := s.By + " " + s.What
		if s.Why != "" {
			step += " (" + s.Why + ")"
		}
		out = append(out, step)
	}
	return out
}

// The whole session: the administrator's device is rung; answered, it is bridged with a snoop
// channel on the operator's side whose whisper direction follows the mode (none, out to the
// operator's phone, both); each change replaces the snoop channel; the caller hanging up ends it
// and hangs the administrator up. Every step is in the call's history.
func TestListenWhisperBarge(t *testing.T) {
	h, offer := superviseHarness(t)
	m := h.mark()
	if err := h.listen(chief, "c1", ListenSilent); err != nil {
		t.Fatalf("listen: %v", err)
	}
	ring := h.oneOriginate(m)
	if ring.Endpoint != "PJSIP/1009" || ring.Entry != (SupervisorDevice{Call: "c1"}) || !strings.HasPrefix(ring.Channel, "c1-sv") {
		t.Fatalf("rang %+v, want the administrator's extension 1009 for c1", ring)
	}
	h.noOps(m, "snoop") // nothing until they answer
	m = h.mark()
	h.answer(ring)
	sn := h.lastSnoop(m)
	if sn.Channel != offer.Channel || sn.Spy != "both" || sn.Whisper != "none" || sn.Entry != (SnoopChannel{Call: "c1"}) {
		t.Fatalf("snoop %+v, want on the operator's channel %s, spy both, whisper none", sn, offer.Channel)
	}
	bridge := ""
	for _, o := range h.ops[m:] {
		if cb, ok := o.(CreateBridge); ok {
			bridge = cb.Bridge
		}
	}
	if !strings.HasPrefix(bridge, "c1-sb") {
		t.Fatalf("no supervision bridge: %v", h.opsSince(m))
	}
	h.wantOps(m, "create-bridge "+bridge, "add-to-bridge "+bridge+" "+ring.Channel, "snoop "+offer.Channel)
	m = h.mark()
	h.send(StasisStart{Channel: sn.Snoop, Name: "Snoop/" + offer.Channel, Entry: sn.Entry})
	h.wantOps(m, "add-to-bridge "+bridge+" "+sn.Snoop)
	if v := h.s.callView(h.s.calls["c1"]); v.Listened != ListenSilent || v.ListenerID != 9 {
		t.Errorf("call view %+v, want listened by 9", v)
	}

	// Whisper, then barge: each a new snoop channel, the old one hung up.
	old := sn.Snoop
	for _, tc := range []struct {
		mode    ListenMode
		whisper string
	}{{ListenWhisper, "out"}, {ListenBarge, "both"}} {
		m = h.mark()
		if err := h.listen(chief, "c1", tc.mode); err != nil {
			t.Fatalf("%s: %v", tc.mode, err)
		}
		sn = h.lastSnoop(m)
		if sn.Whisper != tc.whisper || sn.Snoop == old || sn.Channel != offer.Channel {
			t.Errorf("%s: snoop %+v, want whisper %s on a new snoop channel", tc.mode, sn, tc.whisper)
		}
		h.wantOps(m, "hangup "+old, "snoop "+offer.Channel)
		h.hangup(old) // the old snoop's end is not the session's
		h.send(StasisStart{Channel: sn.Snoop, Name: "Snoop/" + offer.Channel, Entry: sn.Entry})
		h.wantOps(m, "add-to-bridge "+bridge+" "+sn.Snoop)
		old = sn.Snoop
	}
	m = h.mark()
	if err := h.listen(chief, "c1", ListenBarge); err != nil { // the same mode again: nothing to do
		t.Errorf("barge again: %v", err)
	}
	h.noOps(m, "snoop")

	// The caller hangs up: the administrator's channel and the snoop go with the call.
	m = h.mark()
	h.hangup("c1")
	h.wantOps(m, "hangup "+old, "hangup "+ring.Channel, "destroy-bridge "+bridge)
	want := []string{"chief listen", "chief whisper", "chief barge", "chief ended (the call ended)"}
	if got := h.supervisedSteps(); strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("history %q, want %q", got, want)
	}
	if len(h.s.listening) != 0 || len(h.s.supervisors) != 0 {
		t.Errorf("sessions left: %v %v", h.s.listening, h.s.supervisors)
	}
	h.hangup(ring.Channel) // late events find nothing
	h.hangup(old)
	if n := len(h.j.supervised); n != len(want) {
		t.Errorf("%d history steps after the late hang-ups, want %d", n, len(want))
	}
}

// The administrator ends it: by asking (stop) or by hanging up their device; the operator and the
// caller talk on.
func TestListenEnds(t *testing.T) {
	for _, how := range []string{"stop", "hang up", "not answered", "operator hangs up", "refused"} {
		t.Run(how, func(t *testing.T) {
			h, offer := superviseHarness(t)
			if how == "refused" {
				h.fail = func(o Op) error {
					if _, ok := o.(Snoop); ok {
						return errTest
					}
					return nil
				}
			}
			m := h.mark()
			if err := h.listen(chief, "c1", ListenSilent); err != nil {
				t.Fatal(err)
			}
			ring := h.oneOriginate(m)
			m = h.mark()
			if how != "not answered" {
				h.answer(ring)
			}
			var why string
			switch how {
			case "stop":
				if err := h.listen(chief, "c1", ListenStop); err != nil {
					t.Fatal(err)
				}
				h.wantOps(m, "hangup c1-sn", "hangup "+ring.Channel, "destroy-bridge c1-sb")
				why = "stopped by chief"
			case "hang up":
				h.hangup(ring.Channel)
				h.wantOps(m, "hangup c1-sn", "destroy-bridge c1-sb")
				why = "the administrator hung up"
			case "not answered":
				h.send(ChannelDestroyed{Channel: ring.Channel, Cause: 19})
				h.noOps(m, "destroy-bridge")
				why = "not answered (cause 19)"
			case "operator hangs up":
				h.hangup(offer.Channel)
				h.wantOps(m, "hangup "+ring.Channel)
				why = "the conversation ended for the operator"
			case "refused":
				h.wantOps(m, "hangup "+ring.Channel)
				why = "Asterisk refused: snoop " + offer.Channel
			}
			steps := h.supervisedSteps()
			if len(steps) != 2 || !strings.HasPrefix(steps[1], "chief ended ("+why) {
				t.Errorf("history %q, want listen then ended (%s)", steps, why)
			}
			if len(h.s.listening) != 0 || len(h.s.supervisors) != 0 {
				t.Errorf("sessions left: %v %v", h.s.listening, h.s.supervisors)
			}
			if how != "operator hangs up" {
				h.wantPresence(1, hotline.PresenceTalking)
				if c := h.s.calls["c1"]; c == nil || c.state != stateBridged {
					t.Errorf("the conversation did not go on")
				}
			}
		})
	}
}

// Who may listen to what: administrators only (the rule of the domain), to a conversation under
// way, on a device of their own that is free, one administrator at a time.
func TestListenRefused(t *testing.T) {
	h, _ := superviseHarness(t)
	h.arrive("c2", "+79005556677") // queued: operator 2 is not logged in
	noDevice := hotline.Actor{Login: "root", OperatorID: 77, Role: hotline.RoleAdministrator}
	tests := []struct {
		name string
		by   hotline.Actor
		call string
		mode ListenMode
		want string
	}{
		{"an operator", operator1, "c1", ListenSilent, hotline.EFORBIDDEN},
		{"nobody", hotline.Actor{}, "c1", ListenSilent, hotline.EINVALID},
		{"a mode nobody knows", chief, "c1", "shout", hotline.EINVALID},
		{"no such call", chief, "c9", ListenSilent, hotline.ENOTFOUND},
		{"a caller in the queue", chief, "c2", ListenSilent, hotline.ECONFLICT},
		{"no device", noDevice, "c1", ListenSilent, hotline.EUNAVAILABLE},
		{"stop with no session", chief, "c1", ListenStop, hotline.ENOTFOUND},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := h.mark()
			err := h.listen(tc.by, tc.call, tc.mode)
			if got := hotline.ErrorCode(err); got != tc.want {
				t.Errorf("err = %v (%s), want %s", err, got, tc.want)
			}
			h.noOps(m, "originate")
		})
	}
	if err := h.listen(chief, "c1", ListenSilent); err != nil {
		t.Fatal(err)
	}
	if err := h.listen(secondBoss, "c1", ListenBarge); hotline.ErrorCode(err) != hotline.ECONFLICT {
		t.Errorf("a second administrator: %v, want a conflict", err)
	}
	if err := h.listen(operator1, "c1", ListenStop); hotline.ErrorCode(err) != hotline.EFORBIDDEN {
		t.Errorf("an operator stopping it: %v, want forbidden", err)
	}
	if n := len(h.j.supervised); n != 1 {
		t.Errorf("%d history steps, want only the one session's start", n)
	}
}

// An administrator who also takes calls is offered none while their device listens, and is again
// once the session ends.
func TestListeningDeviceIsNotOffered(t *testing.T) {
	h, _ := superviseHarness(t)
	h.login("1009")
	m := h.mark()
	if err := h.listen(chief, "c1", ListenSilent); err != nil {
		t.Fatal(err)
	}
	ring := h.oneOriginate(m)
	h.wantPresence(9, hotline.PresenceRinging) // busy from the first ring: no transfer or call-back to it
	h.answer(ring)
	h.wantPresence(9, hotline.PresenceTalking)
	m = h.mark()
	h.arrive("c2", "+79005556677")
	if or := h.originates(m); len(or) != 0 {
		t.Fatalf("offered while listening: %+v", or)
	}
	// Nor is the listening device given a call-back: it is not free.
	h.s.cfg.CallbackDial = "PJSIP/{number}@trunk"
	if err := h.s.requestCallBack(chief, 9, "+79005556677", 1); err == nil || !strings.Contains(err.Error(), "not free") {
		t.Errorf("a call-back for the listening administrator: %v, want refused as not free", err)
	}
	if err := h.listen(chief, "c1", ListenStop); err != nil {
		t.Fatal(err)
	}
	or := h.originates(m)
	if len(or) != 1 || or[0].Endpoint != "PJSIP/1009" || entryKind(or[0].Entry) != "offer" {
		t.Errorf("after the session, want c2 offered to 1009: %+v", or)
	}
}
