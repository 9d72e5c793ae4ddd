package switchboard

import (
	"context"
	"fmt"
	"time"

	"github.com/hotline-dev/hotline"
)

// Operators' standing presence (logged out, available, paused with its reason, unreachable) is
// written to the journal as it changes, so that a restart restores it and reports can compute
// staffed and pause time. The transient states (ringing, talking, wrap-up) are not: the call legs
// already hold them.
//
// Every message ends with refresh, which compares each operator's standing presence with what
// the journal last heard and queues a write when it differs. The write names the cause that the
// handler of the message noted (presenceRecord.cause); a change nobody noted came from an
// administrator's command, the only other way in.

// presenceRecord is what the journal last heard of an operator's standing presence.
type presenceRecord struct {
	presence hotline.Presence // "" until the operator is first seen: their presence then is no change
	reason   string
	cause    hotline.PresenceHow // what is changing it in the message being handled; "": an administrator
	actor    string              // who, when a person asked (changedBy); "": derived from cause
}

// standing is op's presence as the journal records it, with the pause reason (kept under
// unreachable, so that a restart restores the pause).
func standing(op *operator) (hotline.Presence, string) {
	switch {
	case !op.loggedIn:
		return hotline.PresenceLoggedOut, ""
	case op.unreachable && op.paused:
		return hotline.PresenceUnreachable, op.reason
	case op.unreachable:
		return hotline.PresenceUnreachable, ""
	case op.paused:
		return hotline.PresencePaused, op.reason
	}
	return hotline.PresenceAvailable, ""
}

// causedBy notes why op's presence may change in the message being handled.
func causedBy(op *operator, how hotline.PresenceHow) {
	if op != nil {
		op.rec.cause = how
	}
}

// changedBy notes that a person (by their login) is changing op's presence in the message being
// handled, through how.
func changedBy(op *operator, how hotline.PresenceHow, actor string) {
	if op != nil {
		op.rec.cause, op.rec.actor = how, actor
	}
}

// presenceActor is who changed op's presence when nobody was named: the operator at their own
// handset, else the daemon itself.
func presenceActor(op *operator, how hotline.PresenceHow) string {
	if how == hotline.PresenceByFeatureCode {
		return op.ActorName()
	}
	return hotline.SystemActor.Login
}

// notePresence queues a journal write if op's standing presence changed since the last one.
func (s *Switchboard) notePresence(op *operator, now time.Time) {
	how, actor := op.rec.cause, op.rec.actor
	op.rec.cause, op.rec.actor = "", ""
	p, reason := standing(op)
	switch {
	case op.rec.presence == "":
		op.rec.presence, op.rec.reason = p, reason
		return
	case p == op.rec.presence && reason == op.rec.reason:
		return
	case how == "":
		how = hotline.PresenceByAdmin
	}
	if actor == "" {
		actor = presenceActor(op, how)
	}
	op.rec.presence, op.rec.reason = p, reason
	e := hotline.PresenceEvent{OperatorID: op.ID, At: now, Presence: p, Reason: reason, How: how, Actor: actor}
	s.log.Info("operator presence recorded", "operator", op.ID, "presence", p, "reason", reason, "how", how, "actor", actor)
	s.journalWrite(Write{Presence: &e}, nil)
}

// presenceGone records the logout of an operator removed from service while logged in, so that
// their history (and reports) do not keep them on line; by is who had the operators reloaded.
func (s *Switchboard) presenceGone(op *operator, by string) {
	changedBy(op, hotline.PresenceByAdmin, by)
	op.loggedIn, op.paused, op.reason = false, false, ""
	s.notePresence(op, s.clock.Now())
}

// restorePresence reads each operator's last recorded presence, once the operators are loaded
// (the writer runs jobs in order), and applies it on the loop.
func (s *Switchboard) restorePresence() {
	s.journalRead("restore presence", "", func(ctx context.Context) error {
		last, err := s.jr.LastPresence(ctx)
		if err != nil {
			return fmt.Errorf("last presence: %w", err)
		}
		s.post(command{run: func(s *Switchboard) { s.applyLastPresence(last) }})
		return nil
	})
}

// applyLastPresence logs in (and pauses) again whoever was logged in (or paused) when the daemon
// last stopped. Unreachable is not restored as such: Asterisk reports the handsets' state at
// every connection, so it is a login (with the pause kept under it). An operator who logged in
// since the start is left alone: what they keyed is newer.
func (s *Switchboard) applyLastPresence(last []hotline.PresenceEvent) {
	n := 0
	for _, e := range last {
		op := s.operators[e.OperatorID]
		if op == nil || op.loggedIn || !e.Presence.LoggedIn() {
			continue
		}
		s.login(op)
		if e.Reason != "" && (e.Presence == hotline.PresencePaused || e.Presence == hotline.PresenceUnreachable) {
			if err := s.pause(op, e.Reason); err != nil {
				s.log.Error("restore pause", "operator", op.ID, "err", err)
			}
		}
		causedBy(op, hotline.PresenceByDaemonStart)
		s.log.Info("operator presence restored", "operator", op.ID, "presence", e.Presence, "reason", e.Reason, "since", e.At)
		n++
	}
	s.log.Info("presence restored from the journal", "operators", n)
}
