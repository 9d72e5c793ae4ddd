package switchboard

import (
	"time"
)

// A hotline may have several numbers (lines) into the same application: an English line, a line
// for one topic. The dialplan says which with key=value arguments after "inbound" (the adapter
// decodes them into an Inbound entry, entry.go):
//
//	exten => 101,1,Stasis(${HOTLINE_APP},inbound,language=en)
//	exten => 102,1,Stasis(${HOTLINE_APP},inbound,topic=policy-replace)
//
// A line's language chooses the prompts the caller hears and the operators who may answer (those
// who list it among their languages, or list none when it is the hotline's own language); its
// topic sends the call to operators who handle that topic. Both are routing needs (skills) that
// routing may relax after Rules.SkillFallback.
type line struct {
	language string
	topic    string
	dialled  string // the hotline number the caller dialled (the dialplan's extension)
}

// languageOf is the prompts' language for a channel: its line's, else the hotline's.
func (s *Switchboard) languageOf(channel string) string {
	if c := s.calls[channel]; c != nil && c.line.language != "" {
		return c.line.language
	}
	return s.cfg.Routing.DefaultLanguage
}

// wakeForRules arranges for routing to look at a queued caller again when a rule that holds it
// back lapses (the owner wait, the skill fallback): in a quiet hotline no other message may come
// to trigger it. The timer does nothing itself; every message ends in a routing pass.
func (s *Switchboard) wakeForRules(c *call, joined time.Time) {
	now := s.clock.Now()
	wake := func(after time.Duration) {
		if d := joined.Add(after).Sub(now); d > 0 {
			s.after(d, func() {})
		}
	}
	if s.owner(c) != 0 && s.cfg.Routing.OwnerWait > 0 {
		wake(s.cfg.Routing.OwnerWait)
	}
	if (c.line.topic != "" || c.line.language != "") && s.cfg.Routing.SkillFallback > 0 {
		wake(s.cfg.Routing.SkillFallback)
	}
}
