package switchboard

import (
	"slices"
	"testing"

	"github.com/hotline-dev/hotline"
)

// Feature codes from the handset change presence, are confirmed by a prompt, and the handset is
// hung up once the prompt ends.
func TestFeatureCodes(t *testing.T) {
	p := DefaultPrompts()
	tests := []struct {
		name   string
		before []string // feature actions applied first
		entry  Entry
		ext    string
		want   hotline.Presence
		prompt []string
		reason string
	}{
		{"login", nil, Feature{Action: "login"}, "1001", hotline.PresenceAvailable, p.LoginOK, ""},
		{"login twice", []string{"login"}, Feature{Action: "login"}, "1001", hotline.PresenceAvailable, p.AlreadyOn, ""},
		{"pause with reason", []string{"login"}, Feature{Action: "pause", Arg: "3"}, "1001", hotline.PresencePaused, p.Paused, "3"},
		{"pause logged out", nil, Feature{Action: "pause", Arg: "3"}, "1001", hotline.PresenceLoggedOut, p.Invalid, ""},
		{"resume", []string{"login", "pause"}, Feature{Action: "resume"}, "1001", hotline.PresenceAvailable, p.Resumed, ""},
		{"logout", []string{"login"}, Feature{Action: "logout"}, "1001", hotline.PresenceLoggedOut, p.LoggedOff, ""},
		{"unknown code", []string{"login"}, Feature{Action: "dance"}, "1001", hotline.PresenceAvailable, p.Invalid, ""},
		{"unknown handset", nil, Feature{Action: "login"}, "1999", hotline.PresenceLoggedOut, p.UnknownHandset, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, testConfig(), op(1, "1001"))
			for i, a := range tt.before {
				ch := "pre" + string(rune('a'+i))
				h.send(StasisStart{Channel: ch, Name: "PJSIP/1001-0000000" + string(rune('a'+i)), Entry: Feature{Action: a, Arg: "1"}})
				h.finishPlay(ch)
				h.hangup(ch)
			}
			m := h.mark()
			h.send(StasisStart{Channel: "f1", Name: "PJSIP/" + tt.ext + "-0000001f", Entry: tt.entry})
			h.wantPresence(1, tt.want)
			h.wantOps(m, "answer f1", "play f1")
			if got := h.lastPlay("f1").Media; !slices.Equal(got, tt.prompt) {
				t.Errorf("prompt = %v, want %v", got, tt.prompt)
			}
			h.noOps(m, "hangup f1")
			h.finishPlay("f1")
			h.wantOps(m, "hangup f1")
			h.hangup("f1")
			if got := h.status().Operators[0].Reason; got != tt.reason {
				t.Errorf("reason = %q, want %q", got, tt.reason)
			}
			if len(h.s.features) != 0 {
				t.Errorf("feature calls left: %v", h.s.features)
			}
		})
	}
}

func TestExtensionOf(t *testing.T) {
	for name, want := range map[string]string{
		"PJSIP/1001-0000002a":  "1001",
		"PJSIP/op-1001-000001": "op-1001",
		"SIP/1002":             "1002",
		"garbage":              "",
	} {
		if got := extensionOf(name); got != want {
			t.Errorf("extensionOf(%q) = %q, want %q", name, got, want)
		}
	}
}

// Admin commands act like the feature codes and refuse what cannot be done, with a code.
func TestAdminCommands(t *testing.T) {
	h := newHarness(t, testConfig(), op(1, "1001"))
	run := func(f func(s *Switchboard) error) error {
		var err error
		h.s.dispatch(command{run: func(s *Switchboard) { err = f(s) }})
		h.settle()
		return err
	}
	if err := run(func(s *Switchboard) error { _, err := s.operator(9); return err }); hotline.ErrorCode(err) != hotline.ENOTFOUND {
		t.Errorf("unknown operator: %v, want not_found", err)
	}
	if err := run(func(s *Switchboard) error { return s.pause(s.operators[1], "2") }); hotline.ErrorCode(err) != hotline.ECONFLICT {
		t.Errorf("pause while logged out: %v, want conflict", err)
	}
	h.login("1001")
	if err := run(func(s *Switchboard) error { return s.pause(s.operators[1], "2") }); err != nil {
		t.Fatal(err)
	}
	h.wantPresence(1, hotline.PresencePaused)
}

// Reloading keeps live presence, picks up a changed extension and drops removed operators.
func TestReloadOperators(t *testing.T) {
	h := newHarness(t, testConfig(), op(1, "1001"), op(2, "1002"))
	h.login("1001")
	moved := op(1, "1011")
	h.j.operators = []hotline.Operator{moved}
	h.s.reloadOperators()
	h.settle()
	h.wantPresence(1, hotline.PresenceAvailable)
	if _, ok := h.s.byExt["1001"]; ok {
		t.Errorf("old extension still mapped")
	}
	if h.s.byExt["1011"] == nil || len(h.s.operators) != 1 {
		t.Errorf("operators = %v, byExt = %v", h.s.operators, h.s.byExt)
	}
	m := h.mark()
	h.arrive("c1", "201")
	if or := h.oneOriginate(m); or.Endpoint != "PJSIP/1011" {
		t.Errorf("offered to %s, want PJSIP/1011", or.Endpoint)
	}
}

// The operator hears whether the journal took the topic: a beep, or an error tone for a number the
// catalogue does not have; a topic feature code without a call is refused the same way.
func TestTopicConfirmation(t *testing.T) {
	p := DefaultPrompts()
	h := newHarness(t, testConfig(), op(1, "1001"))
	h.login("1001")
	h.send(StasisStart{Channel: "f0", Name: "PJSIP/1001-00000001", Entry: Feature{Action: "topic", Arg: "12"}})
	if got := h.lastPlay("f0").Media; !slices.Equal(got, p.Invalid) {
		t.Errorf("topic before any call: heard %v, want %v", got, p.Invalid)
	}
	m := h.mark()
	h.finishPlay("f0")
	h.wantOps(m, "hangup f0")

	h.arrive("c1", "201")
	or := h.oneOriginate(0)
	h.answer(or)
	for _, tt := range []struct {
		keys string
		want []string
	}{
		{"*12#", p.TopicSaved},
		{"*99#", p.Invalid}, // not in the catalogue
		{"*#", p.Invalid},   // no number
	} {
		m := h.mark()
		for _, d := range tt.keys {
			h.send(DTMF{Channel: or.Channel, Digit: string(d)})
		}
		h.wantOps(m, "play "+or.Channel)
		if got := h.lastPlay(or.Channel).Media; !slices.Equal(got, tt.want) {
			t.Errorf("keyed %s: heard %v, want %v", tt.keys, got, tt.want)
		}
	}
	if want := []topicSet{{"c1", 1, 12}}; !slices.Equal(h.j.topics, want) {
		t.Errorf("topics = %v, want %v", h.j.topics, want)
	}
}
