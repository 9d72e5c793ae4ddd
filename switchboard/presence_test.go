package switchboard

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
)

// The run tests' journal passes presence through too (here, so that run_test.go need not change).
func (l *lockedJournal) LastPresence(ctx context.Context) ([]hotline.PresenceEvent, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.j.LastPresence(ctx)
}

// step is one thing that happens to operator 1 (handset 1001).
type step func(h *harness)

func keyed(action string, args ...string) step {
	return func(h *harness) {
		h.t.Helper()
		h.s.seq++ // a fresh channel per feature call
		ch := fmt.Sprintf("feat%d", h.s.seq)
		h.send(StasisStart{Channel: ch, Name: "PJSIP/1001-000000ff", Entry: Feature{Action: action, Arg: strings.Join(args, ",")}})
		h.finishPlay(ch)
		h.hangup(ch)
	}
}

// admin runs an administrator's command on operator 1 as the API does (asActor), for root.
func admin(f func(s *Switchboard, op *operator) error) step {
	return adminAs(hotline.Actor{Login: "root", Role: hotline.RoleAdministrator}, f)
}

func adminAs(by hotline.Actor, f func(s *Switchboard, op *operator) error) step {
	return func(h *harness) {
		h.t.Helper()
		var err error
		h.s.dispatch(command{run: func(s *Switchboard) { err = asActor(by, 1, f)(s) }})
		h.settle()
		if err != nil {
			h.t.Fatalf("admin command: %v", err)
		}
	}
}

func device(reachable bool) step {
	return func(h *harness) { h.send(DeviceState{Extension: "1001", Reachable: reachable}) }
}

// missCall offers a call to 1001 and lets it ring out (MissedOffers is 1: that pauses).
func missCall(h *harness) {
	h.arrive("c1", "201")
	h.advance(15 * time.Second)
}

// answerCall offers a call to 1001, answers it, hangs up and lets the wrap-up end.
func answerCall(h *harness) {
	m := h.mark()
	h.arrive("c2", "202")
	h.answer(h.oneOriginate(m))
	h.advance(time.Minute)
	h.hangup("c2")
	h.advance(time.Minute)
}

// ev is an event of operator 1, whose login is ivanova: what the daemon does itself is by
// "system", what is keyed on the handset by the operator, an administrator's command by root.
func ev(p hotline.Presence, reason string, how hotline.PresenceHow) hotline.PresenceEvent {
	actor := "system"
	switch how {
	case hotline.PresenceByFeatureCode:
		actor = "ivanova"
	case hotline.PresenceByAdmin:
		actor = "root"
	}
	return hotline.PresenceEvent{OperatorID: 1, Presence: p, Reason: reason, How: how, Actor: actor}
}

// ivanova is operator 1 with a login.
func ivanova() hotline.Operator {
	o := op(1, "1001")
	o.Login = "ivanova"
	return o
}

// Each change of an operator's standing presence is written once, with its cause; no-ops, calls
// and wrap-up are not written.
func TestPresenceRecorded(t *testing.T) {
	const (
		fc = hotline.PresenceByFeatureCode
		ad = hotline.PresenceByAdmin
		hs = hotline.PresenceByHandset
		sb = hotline.PresenceBySwitchboard
	)
	avail, paused, out, unr := hotline.PresenceAvailable, hotline.PresencePaused, hotline.PresenceLoggedOut, hotline.PresenceUnreachable
	tests := []struct {
		name  string
		steps []step
		want  []hotline.PresenceEvent
	}{
		{"feature codes", []step{keyed("login"), keyed("pause", "2"), keyed("resume"), keyed("logout")},
			[]hotline.PresenceEvent{ev(avail, "", fc), ev(paused, "2", fc), ev(avail, "", fc), ev(out, "", fc)}},
		{"admin commands", []step{
			admin(func(s *Switchboard, op *operator) error { s.login(op); return nil }),
			admin(func(s *Switchboard, op *operator) error { return s.pause(op, "4") }),
			admin(func(s *Switchboard, op *operator) error { s.logout(op); return nil }),
		}, []hotline.PresenceEvent{ev(avail, "", ad), ev(paused, "4", ad), ev(out, "", ad)}},
		{"new pause reason", []step{keyed("login"), keyed("pause", "2"), keyed("pause", "3")},
			[]hotline.PresenceEvent{ev(avail, "", fc), ev(paused, "2", fc), ev(paused, "3", fc)}},
		{"no-ops are not written", []step{keyed("login"), keyed("login"), keyed("topic", "11"), keyed("pause", "x"), keyed("resume")},
			[]hotline.PresenceEvent{ev(avail, "", fc)}},
		{"a pause without a reason code", []step{keyed("login"), keyed("pause", ""), keyed("resume")},
			[]hotline.PresenceEvent{ev(avail, "", fc), ev(paused, "", fc), ev(avail, "", fc)}},
		{"refused pause writes nothing", []step{keyed("pause", "2"), keyed("resume")}, nil},
		{"handset lost and back while paused", []step{keyed("login"), keyed("pause", "2"), device(false), device(true)},
			[]hotline.PresenceEvent{ev(avail, "", fc), ev(paused, "2", fc), ev(unr, "2", hs), ev(paused, "2", hs)}},
		{"handset lost while logged out", []step{device(false), device(true), keyed("login")},
			[]hotline.PresenceEvent{ev(avail, "", fc)}},
		{"calls are not presence", []step{keyed("login"), answerCall},
			[]hotline.PresenceEvent{ev(avail, "", fc)}},
		{"paused after missed offers", []step{keyed("login"), missCall, keyed("resume")},
			[]hotline.PresenceEvent{ev(avail, "", fc), ev(paused, "missed", sb), ev(avail, "", fc)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Routing.MaxMissed = 1
			h := newHarness(t, cfg, ivanova())
			for i, st := range tt.steps {
				n := len(h.j.presence)
				h.clock.now = h.clock.now.Add(time.Hour)
				at := h.clock.now
				st(h)
				for _, e := range h.j.presence[n:] {
					if e.At.Before(at) {
						t.Errorf("step %d: event %v before the step (%s)", i, e, at)
					}
				}
			}
			var got []hotline.PresenceEvent
			for _, e := range h.j.presence {
				e.At = time.Time{}
				got = append(got, e)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("recorded:\n got %v\nwant %v", got, tt.want)
			}
		})
	}
}

// After a restart whoever was logged in or paused is again, without touching the handset; the
// restore is written as such. Unreachable restores as logged in (with the pause under it).
func TestPresenceRestored(t *testing.T) {
	ds := hotline.PresenceByDaemonStart
	before := t0.Add(-time.Hour)
	last := func(p hotline.Presence, reason string) hotline.PresenceEvent {
		return hotline.PresenceEvent{OperatorID: 1, At: before, Presence: p, Reason: reason, How: hotline.PresenceByFeatureCode}
	}
	tests := []struct {
		name       string
		last       []hotline.PresenceEvent
		unreach    bool // Asterisk reports the handset unreachable before the journal answers
		want       hotline.Presence
		wantReason string
		recorded   []hotline.PresenceEvent
	}{
		{"logged in", []hotline.PresenceEvent{last(hotline.PresenceAvailable, "")}, false, hotline.PresenceAvailable, "",
			[]hotline.PresenceEvent{ev(hotline.PresenceAvailable, "", ds)}},
		{"paused", []hotline.PresenceEvent{last(hotline.PresencePaused, "2")}, false, hotline.PresencePaused, "2",
			[]hotline.PresenceEvent{ev(hotline.PresencePaused, "2", ds)}},
		{"logged out", []hotline.PresenceEvent{last(hotline.PresenceLoggedOut, "")}, false, hotline.PresenceLoggedOut, "", nil},
		{"never seen", nil, false, hotline.PresenceLoggedOut, "", nil},
		{"unreachable then", []hotline.PresenceEvent{last(hotline.PresenceUnreachable, "")}, false, hotline.PresenceAvailable, "",
			[]hotline.PresenceEvent{ev(hotline.PresenceAvailable, "", ds)}},
		{"unreachable while paused then", []hotline.PresenceEvent{last(hotline.PresenceUnreachable, "3")}, false, hotline.PresencePaused, "3",
			[]hotline.PresenceEvent{ev(hotline.PresencePaused, "3", ds)}},
		{"unreachable now", []hotline.PresenceEvent{last(hotline.PresencePaused, "2")}, true, hotline.PresenceUnreachable, "2",
			[]hotline.PresenceEvent{ev(hotline.PresenceUnreachable, "2", ds)}},
		{"operator removed since", []hotline.PresenceEvent{{OperatorID: 7, At: before, Presence: hotline.PresenceAvailable, How: hotline.PresenceByAdmin}},
			false, hotline.PresenceLoggedOut, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A harness that knows nobody yet, as a daemon at its start.
			h := newHarness(t, testConfig())
			h.j.operators = []hotline.Operator{op(1, "1001")}
			h.j.last = tt.last
			h.s.reloadOperators()
			if tt.unreach {
				// Loaded operators, then the handset's state, then the journal's last presence.
				h.pending = append(h.pending[:1], append([]message{DeviceState{Extension: "1001", Reachable: false}}, h.pending[1:]...)...)
			}
			h.settle()
			h.wantPresence(1, tt.want)
			if got := h.status().Operators[0].Reason; got != tt.wantReason {
				t.Errorf("reason = %q, want %q", got, tt.wantReason)
			}
			var got []hotline.PresenceEvent
			for _, e := range h.j.presence {
				if !e.At.Equal(t0) {
					t.Errorf("event %v not at the restart (%s)", e, t0)
				}
				e.At = time.Time{}
				got = append(got, e)
			}
			if !slices.Equal(got, tt.recorded) {
				t.Errorf("recorded:\n got %v\nwant %v", got, tt.recorded)
			}
		})
	}
}

// What an operator keys between the start and the journal's answer is newer than the journal.
func TestPresenceRestoreKeepsNewerLogin(t *testing.T) {
	h := newHarness(t, testConfig())
	h.j.operators = []hotline.Operator{op(1, "1001")}
	h.j.last = []hotline.PresenceEvent{{OperatorID: 1, At: t0.Add(-time.Hour), Presence: hotline.PresencePaused, Reason: "2", How: hotline.PresenceByFeatureCode}}
	h.s.reloadOperators()
	restore := h.pending[1:]
	h.pending = h.pending[:1]
	h.settle()
	keyed("login")(h)
	h.pending = append(h.pending, restore...)
	h.settle()
	h.wantPresence(1, hotline.PresenceAvailable)
	if n := len(h.j.presence); n != 1 || h.j.presence[0].How != hotline.PresenceByFeatureCode {
		t.Errorf("recorded %v, want only the login by feature code", h.j.presence)
	}
}

// A later reload (an administrator changed operators) does not restore again.
func TestPresenceReloadDoesNotRestore(t *testing.T) {
	h := newHarness(t, testConfig(), op(1, "1001"), op(2, "1002"))
	h.j.last = []hotline.PresenceEvent{{OperatorID: 2, At: t0, Presence: hotline.PresenceAvailable, How: hotline.PresenceByAdmin}}
	h.s.reloadOperators()
	h.settle()
	h.wantPresence(2, hotline.PresenceLoggedOut)
	if len(h.j.presence) != 0 {
		t.Errorf("recorded %v on reload", h.j.presence)
	}
}

// An operator removed from service while logged in is logged out in the history, by the
// administrator who removed them; one logged out already writes nothing.
func TestPresenceOperatorRemoved(t *testing.T) {
	h := newHarness(t, testConfig(), op(1, "1001"), op(2, "1002"), op(3, "1003"))
	h.login("1002")
	h.j.presence = nil
	h.j.operators = []hotline.Operator{op(1, "1001")}
	h.s.reloadOperators()
	h.settle()
	want := []hotline.PresenceEvent{{OperatorID: 2, At: t0, Presence: hotline.PresenceLoggedOut, How: hotline.PresenceByAdmin, Actor: "system"}}
	if !slices.Equal(h.j.presence, want) {
		t.Errorf("recorded %v, want %v", h.j.presence, want)
	}

	// Removed by an administrator whose CLI asked the daemon to reload: the logout is theirs.
	h.login("1001")
	h.j.presence = nil
	h.j.operators = nil
	h.s.dispatch(command{run: func(s *Switchboard) {
		s.reloadOperatorsBy(hotline.Actor{Login: "admin", Role: hotline.RoleAdministrator})
	}})
	h.settle()
	want = []hotline.PresenceEvent{{OperatorID: 1, At: t0, Presence: hotline.PresenceLoggedOut, How: hotline.PresenceByAdmin, Actor: "admin"}}
	if !slices.Equal(h.j.presence, want) {
		t.Errorf("recorded %v, want %v", h.j.presence, want)
	}
}

// An administrator's command records who gave it; one without an actor, or on an unknown
// operator, is refused and changes nothing.
func TestPresenceActor(t *testing.T) {
	h := newHarness(t, testConfig(), ivanova())
	adminAs(hotline.Actor{Login: "petrova", OperatorID: 9, Role: hotline.RoleAdministrator},
		func(s *Switchboard, op *operator) error { s.login(op); return nil })(h)
	adminAs(hotline.Actor{Login: "ivanova", OperatorID: 1, Role: hotline.RoleOperator},
		func(s *Switchboard, op *operator) error { return s.pause(op, "2") })(h)
	want := []hotline.PresenceEvent{
		{OperatorID: 1, At: t0, Presence: hotline.PresenceAvailable, How: hotline.PresenceByAdmin, Actor: "petrova"},
		{OperatorID: 1, At: t0, Presence: hotline.PresencePaused, Reason: "2", How: hotline.PresenceByAdmin, Actor: "ivanova"},
	}
	if !slices.Equal(h.j.presence, want) {
		t.Errorf("recorded:\n got %v\nwant %v", h.j.presence, want)
	}
	for _, tt := range []struct {
		name string
		by   hotline.Actor
		id   int64
		code string
	}{
		{"no actor", hotline.Actor{}, 1, hotline.EINVALID},
		{"unknown operator", hotline.Actor{Login: "root", Role: hotline.RoleAdministrator}, 7, hotline.ENOTFOUND},
	} {
		var err error
		h.s.dispatch(command{run: func(s *Switchboard) {
			err = asActor(tt.by, tt.id, func(s *Switchboard, op *operator) error { s.logout(op); return nil })(s)
		}})
		h.settle()
		if hotline.ErrorCode(err) != tt.code {
			t.Errorf("%s: err = %v, want %s", tt.name, err, tt.code)
		}
	}
	h.wantPresence(1, hotline.PresencePaused)
	if len(h.j.presence) != len(want) {
		t.Errorf("refused commands recorded %v", h.j.presence[len(want):])
	}
}

// A handset that re-registers from a new address: its new contact's "reachable" and its old
// contact's removal come in either order; the operator stays reachable either way (issue 19: after
// a handset restart a logged-in operator stayed unreachable until *21). Asterisk's device state
// "unavailable" is its verdict on every contact.
func TestReachabilityFromAllContacts(t *testing.T) {
	const old, fresh = "sip:1001@127.0.0.1:40000", "sip:1001@127.0.0.1:40002"
	for _, tt := range []struct {
		name   string
		events []DeviceState
		want   hotline.Presence
	}{
		{"new reachable, then old removed", []DeviceState{{Extension: "1001", Reachable: true, Contact: old},
			{Extension: "1001", Reachable: true, Contact: fresh}, {Extension: "1001", Contact: old, Gone: true}}, hotline.PresenceAvailable},
		{"old removed, then new reachable", []DeviceState{{Extension: "1001", Reachable: true, Contact: old},
			{Extension: "1001", Contact: old, Gone: true}, {Extension: "1001", Reachable: true, Contact: fresh}}, hotline.PresenceAvailable},
		{"the only contact removed", []DeviceState{{Extension: "1001", Reachable: true, Contact: old},
			{Extension: "1001", Contact: old, Gone: true}}, hotline.PresenceUnreachable},
		{"one of two stops answering", []DeviceState{{Extension: "1001", Reachable: true, Contact: old},
			{Extension: "1001", Reachable: true, Contact: fresh}, {Extension: "1001", Reachable: false, Contact: old}}, hotline.PresenceAvailable},
		{"the device unavailable forgets the contacts", []DeviceState{{Extension: "1001", Reachable: true, Contact: old},
			{Extension: "1001", Reachable: false}}, hotline.PresenceUnreachable},
		{"a device state alone", []DeviceState{{Extension: "1001", Reachable: false}, {Extension: "1001", Reachable: true}}, hotline.PresenceAvailable},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, testConfig(), op(1, "1001"))
			h.login("1001")
			for _, e := range tt.events {
				h.send(e)
			}
			h.wantPresence(1, tt.want)
		})
	}
}

// A pause reason is kept for good in the append-only presence history: whatever the dialplan
// passes after *23 that is not a reason code (a digit 0-9, or none) is refused with the invalid
// tone and writes nothing, from a logged-in, paused or logged-out operator alike; so is the
// switchboard's Pause, whoever calls it.
func TestPauseReasonRefused(t *testing.T) {
	avail, paused := hotline.PresenceAvailable, hotline.PresencePaused
	tests := []struct {
		name   string
		before []step
		reason string
		want   hotline.Presence // after; the same as before: refused
	}{
		{"letters", []step{keyed("login")}, "abc", avail},
		{"two digits", []step{keyed("login")}, "77", avail},
		{"escape codes", []step{keyed("login")}, "\x1b]0;owned\x07", avail},
		{"the switchboard's own reason", []step{keyed("login")}, "missed", avail},
		{"a space before a digit", []step{keyed("login")}, " 2", avail},
		{"a hash", []step{keyed("login")}, "#", avail},
		{"while paused with a good one", []step{keyed("login"), keyed("pause", "2")}, "zz", paused},
		{"while logged out", nil, "abc", hotline.PresenceLoggedOut},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, testConfig(), ivanova())
			for _, st := range tt.before {
				st(h)
			}
			n, st0 := len(h.j.presence), h.status().Operators[0]
			m := h.mark()
			h.send(StasisStart{Channel: "bad", Name: "PJSIP/1001-000000ee", Entry: Feature{Action: "pause", Arg: tt.reason}})
			if got := h.lastPlay("bad").Media; !slices.Equal(got, h.s.cfg.Prompts.Invalid) {
				t.Errorf("*23 %q: heard %v, want the invalid prompt %v", tt.reason, got, h.s.cfg.Prompts.Invalid)
			}
			h.finishPlay("bad")
			h.wantOps(m, "answer bad", "play bad", "hangup bad")
			h.hangup("bad")
			if got := h.presence(1); got != tt.want {
				t.Errorf("*23 %q: presence %s, want %s", tt.reason, got, tt.want)
			}
			if st := h.status().Operators[0]; st.Reason != st0.Reason {
				t.Errorf("*23 %q: reason %q, want %q kept", tt.reason, st.Reason, st0.Reason)
			}
			if w := h.j.presence[n:]; len(w) != 0 {
				t.Errorf("*23 %q wrote to the presence history: %v", tt.reason, w)
			}
			// The same reason through Pause (the socket's way in): refused before the loop is
			// asked (it is not running here: without the check this would time out).
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			err := h.s.Pause(ctx, hotline.Actor{Login: "root", Role: hotline.RoleAdministrator}, 1, tt.reason)
			if hotline.ErrorCode(err) != hotline.EINVALID {
				t.Errorf("Pause(%q) = %v, want invalid", tt.reason, err)
			}
		})
	}
}
