package switchboard

import (
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
)

// A call on the English line hears English prompts and goes to the operator who speaks English,
// though another has waited longer; after the skill fallback anyone may take such a caller.
func TestLineLanguageRoutesAndPrompts(t *testing.T) {
	cfg := testConfig()
	cfg.Routing.SkillFallback = time.Minute
	english := op(2, "1002")
	english.Languages = []string{"en"}
	h := newHarness(t, cfg, op(1, "1001"), english)
	h.login("1001")
	h.clock.now = h.clock.now.Add(time.Second)
	h.login("1002")

	m := h.mark()
	h.send(StasisStart{Channel: "c1", Name: "PJSIP/trunk-0001", CallerNumber: "201", Entry: Inbound{Language: "en"}})
	var greeting Play
	for _, o := range h.ops[m:] {
		if p, ok := o.(Play); ok {
			greeting = p
		}
	}
	if greeting.Language != "en" {
		t.Errorf("greeting played in %q, want the line's en", greeting.Language)
	}
	h.finishPlay("c1")
	if or := h.oneOriginate(m); or.Endpoint != "PJSIP/1002" {
		t.Errorf("English line offered to %s, want PJSIP/1002 (speaks en; 1001, idle longer, does not)", or.Endpoint)
	}

	// Nobody speaks English any more: the caller waits for the fallback, then anyone answers.
	h2 := newHarness(t, cfg, op(1, "1001"))
	h2.login("1001")
	m = h2.mark()
	h2.send(StasisStart{Channel: "c2", Name: "PJSIP/trunk-0001", CallerNumber: "202", Entry: Inbound{Language: "en"}})
	h2.finishPlay("c2")
	if n := len(h2.originates(m)); n != 0 {
		t.Fatalf("%d offers to an operator without the line's language before the fallback", n)
	}
	h2.wantPresence(1, hotline.PresenceAvailable)
	h2.advance(time.Minute + time.Second)
	if or := h2.oneOriginate(m); or.Endpoint != "PJSIP/1001" {
		t.Errorf("after the fallback offered to %s, want PJSIP/1001", or.Endpoint)
	}
}
