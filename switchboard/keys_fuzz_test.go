package switchboard

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hotline-dev/hotline"
)

// dtmfKeys turns fuzz bytes into key presses: the sixteen DTMF keys as they are, any other byte
// onto one of them (so that seeds read as what an operator keys), at most 40 presses.
func dtmfKeys(s string) []string {
	const keys = "0123456789*#ABCD"
	var out []string
	for i := 0; i < len(s) && len(out) < 40; i++ {
		c := s[i]
		if strings.IndexByte(keys, c) < 0 {
			c = keys[int(c)%len(keys)]
		}
		out = append(out, string(c))
	}
	return out
}

// firstCode reads keys as docs/operators.md describes the codes keyed during a call: a code starts
// with "*" and ends with "#" ("**E#" an extension, "*0T#" a topic's specialist, "*T#" a topic);
// "*" again starts over, a key that is no digit (A-D) or a seventh character drops the code. It
// returns the first complete code's characters between "*" and "#" and the index of its "#".
func firstCode(keys []string) (code string, at int, ok bool) {
	keying := false
	for i, k := range keys {
		switch {
		case k == "*" && keying && code == "":
			code = "*"
		case k == "*":
			keying, code = true, ""
		case !keying:
		case k == "#":
			return code, i, true
		case k >= "0" && k <= "9" && len(code) < 6:
			code += k
		default:
			keying = false
		}
	}
	return "", 0, false
}

// FuzzKeyedCodes: whatever an operator keys during a call, nothing is asked of Asterisk until a
// code is complete; the first complete code does what the operators' guide says (files the topic,
// rings the colleague, or refuses with a prompt to the operator alone); and no key, before or
// after, drops the caller or breaks the switchboard's invariants, also while a transfer the keys
// started is answered or refused by the colleague (after the key at index answer, odd: refused).
func FuzzKeyedCodes(f *testing.F) {
	for _, s := range []string{"*12#", "**2001#", "**2002#", "*05#", "*07#", "*0#", "*#", "**#", "***12#", "*1234567#",
		"*123456#", "*12A#", "12#", "#*12#", "*99#", "**1001#", "**9999#", "*000012#", "**2001#*12#", "*5#*5#", "*0*12#", "**", ""} {
		f.Add(s, uint8(255))
	}
	f.Add("**2001#*12#**2002#", uint8(16))
	f.Add("**2001#*12#**2002#", uint8(17))
	f.Add("**2002#**2001#*7#", uint8(15))
	f.Fuzz(func(t *testing.T, raw string, answer uint8) {
		keys := dtmfKeys(raw)
		h, lj, opCh := transferHarness(t)
		p := h.s.cfg.Prompts
		code, at, complete := firstCode(keys)
		before := h.mark()
		for i, k := range keys {
			m := h.mark()
			h.send(DTMF{Channel: opCh, Digit: k})
			if err := checkInvariants(h); err != nil {
				t.Fatalf("after keys %q: %v", strings.Join(keys[:i+1], ""), err)
			}
			if slices.ContainsFunc(h.ops, func(o Op) bool { h, ok := o.(Hangup); return ok && h.Channel == "c1" }) || h.s.calls["c1"] == nil {
				t.Fatalf("keys %q dropped the caller; requests: %v", strings.Join(keys[:i+1], ""), h.opsSince(0))
			}
			if (!complete || i < at) && h.mark() != m {
				t.Fatalf("key %q of %q, before any complete code, asked %v", k, strings.Join(keys, ""), h.opsSince(m))
			}
			if complete && i > at && i == int(answer)>>1 {
				// The colleague's handset answers or refuses the transfer the keys started.
				for _, o := range h.originates(before) {
					if _, ringing := h.s.transfers[o.Channel]; !ringing {
						continue
					}
					if answer%2 == 0 {
						h.answer(o)
					} else {
						h.send(ChannelDestroyed{Channel: o.Channel, Cause: 21})
					}
					if err := checkInvariants(h); err != nil {
						t.Fatalf("after keys %q and the colleague's answer (%d): %v", strings.Join(keys[:i+1], ""), answer%2, err)
					}
				}
			}
			if !complete || i != at {
				continue
			}
			// The first complete code, as the guide has it. Operator 1 (1001) talks with c1;
			// specialists 2 (2001) and 3 (2002) are not logged in: topic 5's (3, 2) are not free.
			originates := h.originates(before)
			played := slices.ContainsFunc(h.ops[m:], func(o Op) bool { pl, ok := o.(Play); return ok && pl.Channel == opCh })
			ext, toExt := strings.CutPrefix(code, "*")
			topic, toTopic := strings.CutPrefix(code, "0")
			n, nerr := strconv.Atoi(code)
			switch {
			case toExt && (ext == "2001" || ext == "2002"):
				if len(originates) != 1 || originates[0].Endpoint != "PJSIP/"+ext {
					t.Fatalf("**%s# rang %v, want PJSIP/%s", ext, originates, ext)
				}
			case toExt || (toTopic && topic != ""):
				if len(originates) != 0 || !played {
					t.Fatalf("*%s# (refused: %s) rang %v, prompt to the operator %v", code, "no such colleague or no free specialist", originates, played)
				}
			case nerr == nil && n > 0 && n != 99:
				if want := []topicSet{{"c1", 1, n}}; !slices.Equal(lj.topics, want) || len(originates) != 0 {
					t.Fatalf("*%s# filed %v and rang %v, want topic %d filed", code, lj.topics, originates, n)
				}
				if got := h.lastPlay(opCh).Media; !slices.Equal(got, p.TopicSaved) {
					t.Fatalf("*%s#: the operator heard %v, want the beep %v", code, got, p.TopicSaved)
				}
			default: // no number, 0, or a topic the catalogue lacks (99 in the fake journal)
				if len(lj.topics) != 0 || len(originates) != 0 || !played || !slices.Equal(h.lastPlay(opCh).Media, p.Invalid) {
					t.Fatalf("*%s#: filed %v, rang %v; want only the error tone", code, lj.topics, originates)
				}
			}
		}
	})
}

// presenceChecker is the fake journal, refusing (and counting) presence events it would not store.
type presenceChecker struct {
	*fakeJournal
	invalid []string
}

func (j *presenceChecker) Write(ctx context.Context, w Write) (Filed, error) {
	if w.Presence != nil {
		if err := w.Presence.Validate(); err != nil {
			j.invalid = append(j.invalid, err.Error())
		}
	}
	return j.fakeJournal.Write(ctx, w)
}

// FuzzFeatureCode: whatever a handset's feature call carries (the dialplan passes the action and
// what was keyed after the code, e.g. *23N), the handset is answered, hears a prompt and is hung
// up after it; presence changes only as the code says (a pause keeps exactly the reason keyed, or
// is refused with the error tone, as anything but a reason code is); every presence event written is one the journal stores.
func FuzzFeatureCode(f *testing.F) {
	for _, s := range []struct {
		action, arg string
		before      uint8
	}{
		{"login", "", 0}, {"logout", "", 1}, {"pause", "3", 1}, {"pause", "", 1}, {"pause", "3", 0}, {"resume", "", 2},
		{"resume", "", 1}, {"topic", "12", 1}, {"topic", "x", 0}, {"forwarded", "", 1}, {"dance", "1", 1}, {"", "", 0},
		{"pause", "\x1b[2J", 1}, {"pause", strings.Repeat("9", 100), 2}, {"LOGIN", "", 0},
	} {
		f.Add(s.action, s.arg, s.before)
	}
	f.Fuzz(func(t *testing.T, action, arg string, before uint8) {
		h := newHarness(t, testConfig(), op(1, "1001"))
		pj := &presenceChecker{fakeJournal: h.j}
		h.s.jr = pj
		// Before: logged out (0), available (1) or paused (2), by the same codes.
		for i, a := range []string{"login", "pause"}[:min(int(before%3), 2)] {
			ch := "pre" + strconv.Itoa(i)
			h.send(StasisStart{Channel: ch, Name: "PJSIP/1001-0000000" + strconv.Itoa(i), Entry: Feature{Action: a, Arg: "1"}})
			h.finishPlay(ch)
			h.hangup(ch)
		}
		was := h.presence(1)
		m := h.mark()
		h.send(StasisStart{Channel: "f1", Name: "PJSIP/1001-0000001f", Entry: Feature{Action: action, Arg: arg}})
		h.wantOps(m, "answer f1", "play f1")
		prompt := h.lastPlay("f1").Media
		h.noOps(m, "hangup f1")
		h.finishPlay("f1")
		h.wantOps(m, "hangup f1")
		h.hangup("f1")
		if len(h.s.features) != 0 {
			t.Fatalf("feature call left behind: %v", h.s.features)
		}
		if err := checkInvariants(h); err != nil {
			t.Fatal(err)
		}
		if len(pj.invalid) != 0 {
			t.Fatalf("%s %q wrote presence the journal refuses: %v", action, arg, pj.invalid)
		}
		now, st := h.presence(1), h.status().Operators[0]
		p := h.s.cfg.Prompts
		refused := slices.Equal(prompt, p.Invalid)
		if action == "pause" && hotline.ValidPauseReason(arg) != nil && !refused {
			t.Fatalf("pause with %q, not a reason code, was not refused: heard %v", arg, prompt)
		}
		switch {
		case action == "login":
			if now != hotline.PresenceAvailable {
				t.Fatalf("login from %s: %s", was, now)
			}
		case action == "logout":
			if now != hotline.PresenceLoggedOut {
				t.Fatalf("logout from %s: %s", was, now)
			}
		case action == "pause" && was != hotline.PresenceLoggedOut && !refused:
			if now != hotline.PresencePaused || st.Reason != arg {
				t.Fatalf("pause %q from %s: %s, reason %q", arg, was, now, st.Reason)
			}
		case action == "resume" && was != hotline.PresenceLoggedOut:
			if now != hotline.PresenceAvailable {
				t.Fatalf("resume from %s: %s", was, now)
			}
		default:
			if now != was {
				t.Fatalf("%s %q changed presence %s to %s", action, arg, was, now)
			}
			if (action == "pause" || action == "resume" || !slices.Contains([]string{"forwarded", "topic"}, action)) && !refused {
				t.Fatalf("%s %q (from %s) was not refused: heard %v", action, arg, was, prompt)
			}
		}
	})
}
