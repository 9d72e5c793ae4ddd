package switchboard

import (
	"context"
	"log/slog"
	"time"

	"github.com/hotline-dev/hotline"
)

// The presence book: each operator's presence as the switchboard sees it now (operator.presence,
// since operator.since), with the one transition routing waits for, "became free".
//
// Presence is derived from the facts (operator.derive), never set: a handler changes a fact and
// the book follows. touch is the book's only writer. The facts that free an operator, and where
// they change:
//
//	wrap-up over                  endWrapUp (operator.go); startWrapUp at once when there is none
//	logged in, resumed            login, resume (operator.go), from a feature code or a command
//	handset reachable again       onDeviceState (operator.go)
//	a ring ended unanswered       noAnswer, cancelOffer (offer.go)
//	a transfer's target not taken transferFailed, transferChannelGone (transfer.go)
//	a consultation over           endConsult (consult.go)
//	a callback's dialling over    release (callback.go)
//
// Operator free → next caller offered: every message ends with offerFreed. It brings the book up
// to date (an operator who became free is marked by becameFree), then route (offer.go) offers the
// callers waiting to the operators free. Not from inside the handler that freed them: it may not
// be done with the call yet (noAnswer still decides on the caller's overflow). And not only when
// someone became free: a caller joining the queue, a reconnection, or a routing rule's wait
// running out (wakeForRules, lines.go) also lets routing find a pair.

// offerFreed is the end of every message (dispatch): the presence book, then routing.
func (s *Switchboard) offerFreed() {
	s.refresh()
	s.route()
}

// touch brings an operator's presence up to date, noting since when.
func (s *Switchboard) touch(op *operator, now time.Time) hotline.Presence {
	if p := op.derive(); p != op.presence {
		// A call's ringing, talking and end are at debug: the call's own lines say them, and at
		// info they were a third of the daemon's log volume under load (docs/benchmark.md).
		lvl := slog.LevelInfo
		if !p.Standing() || !op.presence.Standing() {
			lvl = slog.LevelDebug
		}
		s.log.Log(context.Background(), lvl, "operator presence", "operator", op.ID, "extension", op.Extension, "presence", p, "was", op.presence)
		was := op.presence
		op.presence, op.since = p, now
		if p == hotline.PresenceAvailable {
			s.becameFree(op, was)
		}
	}
	return op.presence
}

// refresh brings every operator's presence up to date and notes a change of the standing
// presence for the journal (presence.go).
func (s *Switchboard) refresh() {
	now := s.clock.Now()
	for _, op := range s.operators {
		s.touch(op, now)
		s.notePresence(op, now)
	}
}

// becameFree is the "became free" transition: op is available now, was not before. Routing offers
// them the next caller when the message is handled (offerFreed).
func (s *Switchboard) becameFree(op *operator, was hotline.Presence) {
	lvl := slog.LevelInfo
	if !was.Standing() {
		lvl = slog.LevelDebug // free after a call: the call's "call ended" says it
	}
	op.freedIn = s.step.n
	s.log.Log(context.Background(), lvl, "operator free", "operator", op.ID, "extension", op.Extension, "after", freedFrom(was))
	if s.onFree != nil {
		s.onFree(op.ID, was)
	}
}

// freedFrom says, for the log, what an operator's becoming available ended.
func freedFrom(was hotline.Presence) string {
	switch was {
	case hotline.PresenceWrapUp:
		return "wrap-up"
	case hotline.PresenceTalking:
		return "call (no wrap-up)"
	case hotline.PresenceRinging:
		return "ring (not answered, withdrawn, or a transfer, consultation or callback not taken)"
	case hotline.PresenceLoggedOut:
		return "logged out (login)"
	case hotline.PresencePaused:
		return "pause (resume)"
	case hotline.PresenceUnreachable:
		return "unreachable handset"
	}
	return string(was)
}
