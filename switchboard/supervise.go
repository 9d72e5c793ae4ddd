package switchboard

import (
	"context"
	"fmt"

	"github.com/hotline-dev/hotline"
)

// Supervisors: an administrator listens to an operator's conversation, whispers to the operator,
// or joins it (barge), on their own device. hotline rings the administrator's extension (handset
// or softphone) as it rings an operator's; when they answer, their channel goes into a bridge of
// its own (<call>-sb<n>) with a snoop channel on the operator's channel:
//
//	listen   the snoop hears both directions of the operator's channel; whisper none: nobody hears the administrator
//	whisper  whisper "out": what the administrator says is added to what the operator's phone receives
//	barge    whisper "both": also to what the operator's channel sends into the call, so the caller hears it
//
// A snoop channel's directions are fixed when it is made, so a change of mode replaces the snoop
// channel (the old one is hung up, a new one made and bridged). The session ends when the
// administrator hangs up or asks to stop, and when the conversation ends for that operator (the
// caller or the operator hangs up, the call is transferred): the administrator's channel is hung
// up. Each start, change and end is written in the call's history (Write.Supervised). One
// administrator at a time per call.

// ListenMode is how an administrator takes part in a call.
type ListenMode string

// The modes, and the request to stop.
const (
	ListenSilent  ListenMode = "listen"  // hears the caller and the operator; nobody hears them
	ListenWhisper ListenMode = "whisper" // the operator hears them; the caller does not
	ListenBarge   ListenMode = "barge"   // both hear them
	ListenStop    ListenMode = "stop"    // ends the session
)

// Valid reports whether m is a mode or ListenStop.
func (m ListenMode) Valid() bool {
	switch m {
	case ListenSilent, ListenWhisper, ListenBarge, ListenStop:
		return true
	}
	return false
}

// whisper is the snoop channel's whisper direction for the mode.
func (m ListenMode) whisper() string {
	switch m {
	case ListenWhisper:
		return "out"
	case ListenBarge:
		return "both"
	}
	return "none"
}

// What Supervised.What says besides a mode.
const SupervisionEnded = "ended"

// supervision is one administrator listening to one call.
type supervision struct {
	call     *call
	offer    *offer    // the operator's side listened to: the session ends with it
	by       string    // the administrator's login
	sup      *operator // the administrator, whose extension is rung
	channel  string    // the administrator's channel, ours
	bridge   string    // their channel and the snoop channel
	snoop    string    // the snoop channel now ("" before the administrator answers)
	mode     ListenMode
	answered bool
	bridged  bool // the bridge was asked for
}

// Listen makes administrator by listen to call callID (the caller's channel id) in mode, change
// the mode of their session, or stop it (ListenStop). Only an administrator may
// (hotline.Actor.MayListen); they listen on their own device (their operator record's extension),
// which hotline rings; the call must be talking to an operator.
func (s *Switchboard) Listen(ctx context.Context, by hotline.Actor, callID string, mode ListenMode) error {
	return s.ask(ctx, func(s *Switchboard) error { return s.requestListen(by, callID, mode) })
}

// requestListen is Listen on the loop.
func (s *Switchboard) requestListen(by hotline.Actor, callID string, mode ListenMode) error {
	if by.Login == "" {
		return hotline.Errorf(hotline.EINVALID, "listening without an actor: who asks must be known")
	}
	if err := by.MayListen(); err != nil {
		return err
	}
	if !mode.Valid() {
		return hotline.Errorf(hotline.EINVALID, "%q is not a way to listen: listen, whisper, barge or stop", clipped(string(mode)))
	}
	c := s.calls[callID]
	if c == nil {
		return hotline.Errorf(hotline.ENOTFOUND, "no call %q in progress", clipped(callID))
	}
	sv := s.listening[c.id]
	if mode == ListenStop {
		if sv == nil {
			return hotline.Errorf(hotline.ENOTFOUND, "nobody listens to call %s", c.id)
		}
		s.endSupervision(sv, "stopped by "+by.Login)
		return nil
	}
	if sv != nil {
		if sv.by != by.Login {
			return hotline.Errorf(hotline.ECONFLICT, "%s already listens to call %s: one administrator at a time", sv.by, c.id)
		}
		if sv.mode == mode {
			return nil
		}
		sv.mode = mode
		s.noteSupervision(sv, string(mode), "")
		if sv.answered {
			s.snoopOn(sv)
		}
		s.callLog(c).Info("supervision mode changed", "by", by.Login, "mode", mode)
		return nil
	}
	o := c.offer
	if c.state != stateBridged || o == nil || !o.answered || s.transferOf(c) != nil {
		return hotline.Errorf(hotline.ECONFLICT, "call %s is not a conversation with an operator now", c.id)
	}
	sup := s.deviceOf(by)
	switch {
	case !s.connected || s.replaced:
		return hotline.Errorf(hotline.EUNAVAILABLE, "hotline is not connected to Asterisk: no listening now")
	case sup == nil || sup.Extension == "":
		return hotline.Errorf(hotline.EUNAVAILABLE, "%s has no device hotline can ring: give your operator record an extension (handset or softphone)", by.Login)
	case sup == o.op:
		return hotline.Errorf(hotline.ECONFLICT, "call %s is your own", c.id)
	case sup.offer != nil || sup.consulted != nil || sup.reserved != nil || s.supervising(sup):
		return hotline.Errorf(hotline.ECONFLICT, "your device (%s) is busy with another call", sup.Extension)
	}
	n := s.id()
	sv = &supervision{call: c, offer: o, by: by.Login, sup: sup, mode: mode,
		channel: supervisorChannel(c.id, n), bridge: supervisionBridge(c.id, n)}
	s.listening[c.id] = sv
	s.supervisors[sv.channel] = sv
	sup.supervision = sv
	s.touch(sup, s.clock.Now()) // ringing: busy for transfers, call-backs and the board alike
	s.do(sv.channel, Originate{Channel: sv.channel, Endpoint: endpointTech + sup.Extension, CallerID: c.number,
		Timeout: s.cfg.RingTimeout, Entry: SupervisorDevice{Call: c.id}, Originator: o.channel})
	s.noteSupervision(sv, string(mode), "")
	s.callLog(c).Info("supervision asked", "by", by.Login, "mode", mode, "extension", sup.Extension)
	return nil
}

// deviceOf is the administrator's operator record, whose extension is rung: by id, or by login
// for an actor the control socket maps to no operator (root, the daemon's account).
func (s *Switchboard) deviceOf(by hotline.Actor) *operator {
	if by.OperatorID != 0 {
		return s.operators[by.OperatorID]
	}
	for _, op := range s.operators {
		if op.Login != "" && op.Login == by.Login && op.Role == hotline.RoleAdministrator {
			return op
		}
	}
	return nil
}

// supervising reports whether the administrator's device is in a session.
func (s *Switchboard) supervising(op *operator) bool { return op.supervision != nil }

// onSupervisorAnswered: the administrator's device answered: a bridge of its own, and a snoop
// channel on the operator's side.
func (s *Switchboard) onSupervisorAnswered(m StasisStart) {
	sv := s.supervisors[m.Channel]
	if sv == nil || sv.channel != m.Channel || sv.answered {
		s.log.Info("supervisor channel nobody waits for hung up", "channel", m.Channel)
		s.do(m.Channel, Hangup{Channel: m.Channel, Reason: "normal"})
		return
	}
	sv.answered = true
	s.touch(sv.sup, s.clock.Now())
	sv.bridged = true
	s.do(sv.channel, CreateBridge{Bridge: sv.bridge}, AddToBridge{Bridge: sv.bridge, Channels: []string{sv.channel}})
	s.snoopOn(sv)
	s.callLog(sv.call).Info("supervisor answered", "by", sv.by, "mode", sv.mode)
}

// snoopOn (re)places the session's snoop channel with one for its mode.
func (s *Switchboard) snoopOn(sv *supervision) {
	if sv.snoop != "" {
		delete(s.supervisors, sv.snoop)
		s.do(sv.channel, Hangup{Channel: sv.snoop, Reason: "normal"})
	}
	sv.snoop = snoopChannel(sv.call.id, s.id())
	s.supervisors[sv.snoop] = sv
	s.do(sv.channel, Snoop{Channel: sv.offer.channel, Snoop: sv.snoop, Spy: "both", Whisper: sv.mode.whisper(),
		Entry: SnoopChannel{Call: sv.call.id}})
}

// onSnoopStarted: the snoop channel is in the application: into the administrator's bridge.
func (s *Switchboard) onSnoopStarted(m StasisStart) {
	sv := s.supervisors[m.Channel]
	if sv == nil || sv.snoop != m.Channel {
		s.do(m.Channel, Hangup{Channel: m.Channel, Reason: "normal"})
		return
	}
	s.do(sv.channel, AddToBridge{Bridge: sv.bridge, Channels: []string{m.Channel}})
}

// supervisionChannelGone: the administrator hung up (or never answered), or the snoop channel
// ended (its operator's channel went).
func (s *Switchboard) supervisionChannelGone(sv *supervision, ch string, cause int) {
	delete(s.supervisors, ch)
	switch {
	case ch == sv.channel && !sv.answered:
		sv.channel = "" // gone: nothing to hang up
		s.endSupervision(sv, fmt.Sprintf("not answered (cause %d)", cause))
	case ch == sv.channel:
		sv.channel = ""
		s.endSupervision(sv, "the administrator hung up")
	case ch == sv.snoop:
		sv.snoop = ""
		s.endSupervision(sv, "the operator's channel ended")
	}
}

// endSupervision ends a session: the administrator's channel and the snoop channel are hung up,
// their bridge destroyed, the end written in the call's history.
func (s *Switchboard) endSupervision(sv *supervision, why string) {
	if s.listening[sv.call.id] != sv {
		return
	}
	delete(s.listening, sv.call.id)
	if sv.sup.supervision == sv {
		sv.sup.supervision = nil
		s.touch(sv.sup, s.clock.Now())
	}
	lane := sv.channel
	if lane == "" {
		lane = sv.snoop
	}
	for _, ch := range []string{sv.snoop, sv.channel} {
		if ch != "" {
			delete(s.supervisors, ch)
			s.do(lane, Hangup{Channel: ch, Reason: "normal"})
		}
	}
	if sv.bridged {
		s.do(lane, DestroyBridge{Bridge: sv.bridge})
	}
	s.noteSupervision(sv, SupervisionEnded, why)
	s.callLog(sv.call).Info("supervision ended", "by", sv.by, "why", why)
}

// supervisionEndsWith ends the session on call c if it listens to offer o (nil: any), which is
// over for its operator.
func (s *Switchboard) supervisionEndsWith(c *call, o *offer, why string) {
	if sv := s.listening[c.id]; sv != nil && (o == nil || sv.offer == o) {
		s.endSupervision(sv, why)
	}
}

// supervisionFailed: Asterisk refused a request of the session (the device cannot be rung, the
// operator's channel is gone): it ends.
func (s *Switchboard) supervisionFailed(sv *supervision, op Op, err error) {
	switch op.(type) {
	case Hangup, DestroyBridge:
		return
	case Originate:
		delete(s.supervisors, sv.channel)
		sv.channel = "" // never rang
	}
	s.log.Warn("supervision request failed", "call", sv.call.id, "op", op.String(), "err", err)
	s.endSupervision(sv, "Asterisk refused: "+op.String())
}

// noteSupervision writes a start, a change or the end of a session in the call's history.
func (s *Switchboard) noteSupervision(sv *supervision, what, why string) {
	s.journalWrite(Write{Supervised: &Supervised{CallID: sv.call.id, OperatorID: sv.offer.op.ID, By: sv.by,
		Extension: sv.sup.Extension, What: what, Why: why}}, nil)
}

// listenMode is the snapshot's view of a call's session: its mode and the administrator.
func (s *Switchboard) listenMode(c *call) (ListenMode, int64) {
	if sv := s.listening[c.id]; sv != nil {
		return sv.mode, sv.sup.ID
	}
	return "", 0
}
