package switchboard

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/routing"
)

// Transfers: an operator hands a bridged caller to another operator (a level-2 specialist, as a
// rule) and hotline keeps control of every channel:
//
//	bridged(A) ──transfer asked──► caller and A out of the bridge (it keeps recording A's leg);
//	                               the caller hears "please hold" and music, A a beep;
//	                               the target's handset rings (channel <call>-xf<n>, args transfer,<call>)
//	  target answers ──► A's leg ends "transferred", A goes to wrap-up (handset kept for a code),
//	                     a new leg (TransferredFrom A) with its own bridge and recording
//	  target busy, unreachable, no answer, refused ──► the caller hears why and is back with A;
//	                     A gone meanwhile ──► the caller goes to the head of the queue on a new leg
//
// A transfer is asked three ways: a REFER from A's handset (ChannelTransfer, reported back with
// TransferProgress), "**<extension>#" keyed during the call, or "*0<topic>#": the first free
// level-2 specialist the topic's scripts recommend.

// Transfer: a handset asked, by SIP REFER, to transfer the call its channel is on (Asterisk's
// ChannelTransfer, with PJSIP_TRANSFER_HANDLING(ari-only) set on the channel).
type Transfer struct {
	Channel     string // the channel the REFER came on (the transferring operator's)
	Destination string // blind: the extension asked for
	Replaces    string // attended: the channel of the consultation call the REFER replaces
	State       string // Asterisk's state of the REFER, as reported (for logs)
}

func (Transfer) event() {}

// RemoveFromBridge takes channels out of a bridge (they stay up, in the application).
type RemoveFromBridge struct {
	Bridge   string
	Channels []string
}

// SetVariable sets a channel variable or dialplan function, e.g. PJSIP_TRANSFER_HANDLING().
type SetVariable struct{ Channel, Name, Value string }

// TransferProgress reports an ari-only transfer's progress to the handset that sent the REFER:
// "channel_progress", "channel_answered", "channel_unavailable", "channel_declined".
type TransferProgress struct{ Channel, State string }

func (RemoveFromBridge) op() {}
func (SetVariable) op()      {}
func (TransferProgress) op() {}

func (o RemoveFromBridge) String() string {
	return "remove-from-bridge " + o.Bridge + " " + strings.Join(o.Channels, ",")
}
func (o SetVariable) String() string {
	return "set-variable " + o.Channel + " " + o.Name + "=" + o.Value
}
func (o TransferProgress) String() string { return "transfer-progress " + o.Channel + " " + o.State }

// Transfer progress states (Asterisk 22's transfer_progress).
const (
	progressRinging     = "channel_progress"
	progressAnswered    = "channel_answered"
	progressUnavailable = "channel_unavailable"
	progressDeclined    = "channel_declined"
)

// Transfer prompts: core sounds present in the en and ru packs. Functions, not variables, so no
// caller can change what another hears.
func promptTransferHold() []string        { return []string{"sound:pls-hold-while-try"} }
func promptTransferBusy() []string        { return []string{"sound:vm-isonphone"} }
func promptTransferUnavailable() []string { return []string{"sound:vm-isunavail"} }

// transfer is one attempt to hand a bridged caller from one operator to another.
type transfer struct {
	channel string // the target's channel, our id
	call    *call
	from    *offer    // the transferring operator's answered offer
	target  *operator // whose handset rings
	ring    *offer    // the target's offer while it rings: makes them "ringing"
	refer   string    // the channel that sent the REFER, told the progress; "" for a keyed code
	started time.Time
	timer   *timer
	prior   hotline.Leg // A's leg, as it ended (A hung up while the target rang); zero if A is on
}

func (s *Switchboard) transferOf(c *call) *transfer {
	for _, t := range s.transfers {
		if t.call == c {
			return t
		}
	}
	return nil
}

// allowTransfers makes a REFER from the operator's handset reach hotline (ChannelTransfer)
// instead of Asterisk transferring the call behind hotline's back.
func (s *Switchboard) allowTransfers(lane, channel string) {
	s.do(lane, SetVariable{Channel: channel, Name: transferHandling, Value: transferHandlingARI})
}

const transferHandling, transferHandlingARI = "PJSIP_TRANSFER_HANDLING()", "ari-only"

// handsetVariables are set on an operator's handset channel as hotline originates it: transfers
// allowed (allowTransfers) from its creation, which saves a request per answered call.
func handsetVariables() map[string]string {
	return map[string]string{transferHandling: transferHandlingARI}
}

// onTransfer: a REFER from a handset.
func (s *Switchboard) onTransfer(m Transfer) {
	switch m.State {
	case progressDeclined, progressUnavailable, progressAnswered:
		// Asterisk echoing the progress hotline reported on this REFER: not a second request,
		// whether or not the handset is still in a call (without a wrap-up it is free at once).
		s.log.Debug("transfer event with a final state: an echo, not a request", "channel", m.Channel, "state", m.State)
		return
	}
	o := s.offers[m.Channel]
	if o == nil && s.handsetUp(m.Channel) {
		// A repeat of a REFER whose transfer is done: the handset is in wrap-up; its answer was sent.
		s.log.Debug("transfer event after the transfer", "channel", m.Channel, "state", m.State)
		return
	}
	if o == nil || !o.answered {
		s.log.Warn("transfer asked on a channel that is not in a call", "channel", m.Channel)
		s.do(m.Channel, TransferProgress{Channel: m.Channel, State: progressDeclined})
		return
	}
	c := o.call
	if t := s.transferOf(c); t != nil && t.refer == m.Channel {
		// Asterisk repeats ChannelTransfer as the REFER moves on: one REFER, one transfer.
		s.callLog(c).Debug("transfer event for a transfer under way", "state", m.State)
		return
	}
	if k := s.consults[m.Replaces]; m.Replaces != "" && k != nil && k.a2 == m.Replaces {
		s.callLog(c).Info("attended transfer asked by REFER", "replaces", m.Replaces)
		s.attendedTransfer(c, o, m.Channel, k)
		return
	}
	if m.Replaces != "" {
		// The replaced call is not a consultation hotline placed (made while hotline was down, or
		// not through the [hotline-operators] dialplan): decline, so the handset keeps both calls.
		s.callLog(c).Warn("attended transfer by REFER declined: the consultation call is not hotline's", "replaces", m.Replaces)
		s.do(m.Channel, TransferProgress{Channel: m.Channel, State: progressDeclined})
		return
	}
	s.callLog(c).Info("transfer asked by REFER", "destination", m.Destination, "state", m.State)
	s.startTransfer(c, o, s.byExt[referUser(m.Destination)], m.Channel)
}

// referUser returns the extension of a REFER's destination: "2001", "sip:2001@host" → "2001".
func referUser(dest string) string {
	d := strings.TrimPrefix(strings.TrimPrefix(dest, "sips:"), "sip:")
	if i := strings.IndexAny(d, "@;>"); i >= 0 {
		d = d[:i]
	}
	return d
}

// keyedTransfer handles a transfer code keyed during a call ("*" already consumed): digits
// "*<extension>" or "0<topic>". It reports whether digits were a transfer code.
func (s *Switchboard) keyedTransfer(op *operator, channel, digits string) bool {
	ext, toExt := strings.CutPrefix(digits, "*")
	topic, toTopic := strings.CutPrefix(digits, "0")
	if !toExt && !(toTopic && topic != "") {
		return false
	}
	o := op.offer
	if o == nil || !o.answered || o.channel != channel {
		s.log.Info("transfer code outside a call", "operator", op.ID, "digits", digits)
		s.play(channel, channel, s.cfg.Prompts.Invalid, nil)
		return true
	}
	c := o.call
	if toExt {
		s.callLog(c).Info("transfer keyed", "extension", ext)
		s.startTransfer(c, o, s.byExt[ext], "")
		return true
	}
	n, err := strconv.Atoi(topic)
	if err != nil || n <= 0 {
		s.callLog(c).Info("transfer by topic refused", "topic", topic)
		s.play(c.id, o.channel, s.cfg.Prompts.Invalid, nil)
		return true
	}
	s.callLog(c).Info("transfer keyed", "topic", n)
	id, offerCh := c.id, o.channel
	s.journalRead("recommended specialists", id, func(ctx context.Context) error {
		ids, err := s.jr.Specialists(ctx, n)
		if err == nil || !retryable(err) {
			s.post(specialistsFound{call: id, offer: offerCh, topic: n, ids: ids, err: err})
		}
		return err
	})
	return true
}

// specialistsFound is the journal's answer to a transfer by topic.
type specialistsFound struct {
	call, offer string
	topic       int
	ids         []int64
	err         error
}

func (s *Switchboard) onSpecialistsFound(m specialistsFound) {
	c := s.calls[m.call]
	o := s.offers[m.offer]
	if c == nil || o == nil || c.offer != o || !o.answered {
		return // the call or the operator's part in it ended meanwhile
	}
	if m.err != nil || len(m.ids) == 0 {
		s.callLog(c).Info("no specialist for the topic", "topic", m.topic, "err", m.err)
		s.play(c.id, o.channel, s.cfg.Prompts.Invalid, nil)
		return
	}
	now := s.clock.Now()
	s.candidates(now)
	i, ok := s.router.SelectSpecialist(m.ids, s.cands, now)
	if !ok {
		// Every recommended specialist is busy or away: the caller never left A; A hears it.
		s.callLog(c).Info("no recommended specialist free", "topic", m.topic, "recommended", m.ids)
		s.play(c.id, o.channel, promptTransferBusy(), nil)
		return
	}
	s.startTransfer(c, o, s.candOps[i], "")
}

// startTransfer rings target for a caller bridged with from's operator. A target that cannot take
// the call now (unknown, the same operator, busy, unreachable) is refused at once: nobody moved.
// The refusal is also returned, for a request that waits for it (Switchboard.Transfer); the
// handset hears it as a prompt either way.
func (s *Switchboard) startTransfer(c *call, from *offer, target *operator, refer string) error {
	log := s.callLog(c)
	refuse := func(why string, prompt []string, state string) {
		s.metrics.Transfer("refused")
		log.Info("transfer refused", "why", why)
		if refer != "" {
			s.do(refer, TransferProgress{Channel: refer, State: state})
			// Many handsets hang up their call when a blind transfer fails: if this one does, the
			// caller is not dropped (operatorChannelGone).
			c.referRefused = s.clock.Now()
		}
		s.play(c.id, from.channel, prompt, nil)
	}
	switch {
	case s.transferOf(c) != nil:
		refuse("a transfer is under way", s.cfg.Prompts.Invalid, progressDeclined)
		return hotline.Errorf(hotline.ECONFLICT, "call %s: a transfer is already under way", c.id)
	case c.state != stateBridged || c.offer != from || !from.answered:
		refuse("the call is not bridged with this operator", s.cfg.Prompts.Invalid, progressDeclined)
		return hotline.Errorf(hotline.ECONFLICT, "call %s is not talking with operator %d any more (the call moved on)", c.id, from.op.ID)
	case target == nil:
		refuse("no operator has that extension", s.cfg.Prompts.Invalid, progressDeclined)
		return hotline.Errorf(hotline.ENOTFOUND, "no operator to transfer call %s to: unknown to the switchboard", c.id)
	case target == from.op:
		refuse("transfer to oneself", s.cfg.Prompts.Invalid, progressDeclined)
		return hotline.Errorf(hotline.EINVALID, "operator %d cannot transfer call %s to themself", from.op.ID, c.id)
	}
	// «*26» after this names the target: a delayed answer for them unless they answer.
	s.noteTransfer(from.op, c, target)
	switch {
	case target.offer != nil || target.reserved != nil:
		// Reserved: hotline dials a caller back for them, to be offered to them when answered.
		refuse("target busy", promptTransferBusy(), progressUnavailable)
		return hotline.Errorf(hotline.ECONFLICT, "operator %d (%s) is busy with another call: the caller stays with operator %d", target.ID, target.Name, from.op.ID)
	case target.unreachable || target.Extension == "":
		refuse("target unreachable", promptTransferUnavailable(), progressUnavailable)
		return hotline.Errorf(hotline.ECONFLICT, "operator %d (%s) is not reachable (no handset registered): the caller stays with operator %d", target.ID, target.Name, from.op.ID)
	}
	s.move(c, evTransferStarted)
	t := &transfer{channel: transferChannel(c.id, s.id()), call: c, from: from, target: target,
		refer: refer, started: s.clock.Now()}
	t.ring = &offer{channel: t.channel, call: c, op: target}
	target.offer = t.ring
	s.transfers[t.channel] = t
	s.touch(target, t.started)
	t.timer = s.after(s.cfg.RingTimeout, func() { s.transferFailed(t, "no answer", promptTransferUnavailable()) })
	log.Info("transferring", "to", target.ID, "extension", target.Extension, "channel", t.channel, "refer", refer != "")
	// Both out of the bridge: it keeps recording A's leg, and takes them back if the target fails.
	s.do(c.id, RemoveFromBridge{Bridge: c.bridge, Channels: []string{c.id, from.channel}})
	s.play(c.id, from.channel, s.cfg.Prompts.TopicSaved, nil)
	c.playback = s.play(c.id, c.id, promptTransferHold(), func(bool) {
		c.playback = ""
		if s.transfers[t.channel] == t {
			s.startMOH(c)
		}
	})
	if refer != "" {
		s.do(refer, TransferProgress{Channel: refer, State: progressRinging})
	}
	s.do(c.id, Originate{
		Channel:    t.channel,
		Endpoint:   endpointTech + target.Extension,
		CallerID:   c.number,
		Timeout:    s.cfg.RingTimeout + 5*time.Second,
		Entry:      TransferTarget{Call: c.id},
		Originator: c.id,
		Variables:  s.handsetVars,
	})
	return nil
}

// Transfer is the workplace's transfer button: the caller of call callID, talking with operator
// operatorID, is transferred to operator to, exactly as the handset's «**<extension>#» does (the
// caller is never dropped: a target that does not answer leaves them with operatorID). Only the
// operator themself or an administrator may ask. A refusal known at once (no such call, the
// operator no longer on it, the target unknown, busy or unreachable, a transfer under way) is
// returned; whether the target answers is seen in the snapshot and the feed (TransferTo, then the
// call's operator) and in the call's legs.
func (s *Switchboard) Transfer(ctx context.Context, by hotline.Actor, operatorID int64, callID string, to int64) error {
	return s.ask(ctx, func(s *Switchboard) error { return s.requestTransfer(by, operatorID, callID, to) })
}

// requestTransfer is Transfer on the loop.
func (s *Switchboard) requestTransfer(by hotline.Actor, operatorID int64, callID string, to int64) error {
	if by.Login == "" {
		return hotline.Errorf(hotline.EINVALID, "a transfer without an actor: who asks must be known")
	}
	op, err := s.operator(operatorID)
	if err != nil {
		return err
	}
	if err := by.RequireSelfOrAdministrator(op.ID, fmt.Sprintf("transfer the caller of operator %d", op.ID)); err != nil {
		return err
	}
	c := s.calls[callID]
	if c == nil {
		return hotline.Errorf(hotline.ECONFLICT, "call %q is no longer in the switchboard (it ended or moved on)", callID)
	}
	o := op.offer
	if o == nil || !o.answered || o.call != c {
		return hotline.Errorf(hotline.ECONFLICT, "operator %d is not talking on call %s (the call moved on)", op.ID, c.id)
	}
	s.callLog(c).Info("transfer asked", "to", to, "by", by.Login)
	target := s.operators[to]
	if err := s.startTransfer(c, o, target, ""); err != nil {
		if target == nil {
			return hotline.Errorf(hotline.ENOTFOUND, "operator %d is not known to the switchboard (inactive, or added since the last reload): the caller stays with operator %d", to, op.ID)
		}
		return err
	}
	return nil
}

// onTransferAnswered: the target picked up: the caller talks to them on a new leg; A's leg ends as
// transferred and A goes to wrap-up.
func (s *Switchboard) onTransferAnswered(m StasisStart) {
	t := s.transfers[m.Channel]
	if t == nil {
		s.log.Info("late transfer answer hung up", "channel", m.Channel)
		s.do(m.Channel, Hangup{Channel: m.Channel, Reason: "normal"})
		return
	}
	delete(s.transfers, t.channel)
	t.timer.stop()
	c, from, target := t.call, t.from, t.target
	now := s.clock.Now()
	if t.refer != "" {
		s.do(t.refer, TransferProgress{Channel: t.refer, State: progressAnswered})
	}
	s.metrics.Transfer("answered")
	s.move(c, evTransferred)
	if t.prior.EndedAt.IsZero() {
		// A is still on: their leg ends here, transferred.
		c.leg.EndedAt, c.leg.End = now, hotline.LegTransferred
		s.metrics.CallEnded(hotline.LegTransferred, c.leg.QueueWait())
		s.saveLeg(c)
		s.callEnded(from) // A's bridge (and its recording) goes; A's handset stays for wrap-up
	}
	o := &offer{channel: t.channel, call: c, op: target, answered: true}
	target.offer, c.offer = o, o
	s.offers[o.channel] = o
	target.missed = 0
	target.countCall(now)
	c.leg = hotline.Leg{CallID: c.id, ArrivedAt: t.started, RangAt: t.started,
		AnsweredAt: now, OperatorID: target.ID, OperatorChannel: t.channel, TransferredFrom: from.op.ID}
	s.stopPlayback(c)
	s.stopMOH(c)
	c.bridge = callBridge(c.id, s.id())
	// The target's handset allows transfers since it was originated (handsetVariables).
	s.do(c.id, CreateBridge{Bridge: c.bridge}, AddToBridge{Bridge: c.bridge, Channels: []string{c.id, o.channel}})
	s.recordLeg(c, legRecording(c.id, s.id()))
	s.saveLeg(c)
	s.touch(target, now)
	s.transferReached(from.op, c, target)
	s.callLog(c).Info("transferred; bridged", "from", from.op.ID, "extension", target.Extension, "recording", c.recording)
}

// transferFailed: the target did not take the call. The caller hears why and goes back to A, or,
// if A has gone, to the head of the queue; a REFER's handset is told.
func (s *Switchboard) transferFailed(t *transfer, why string, prompt []string) {
	if s.transfers[t.channel] != t {
		return
	}
	delete(s.transfers, t.channel)
	t.timer.stop()
	s.metrics.Transfer("failed")
	c, from, target := t.call, t.from, t.target
	if target.offer == t.ring {
		target.offer = nil
	}
	s.touch(target, s.clock.Now())
	s.transferNotReached(from.op, c, target)
	// On the call's lane: if the originate is still in flight, the hangup follows it.
	s.do(c.id, Hangup{Channel: t.channel, Reason: "normal"})
	if t.refer != "" {
		state := progressUnavailable
		if why == "declined" {
			state = progressDeclined
		}
		s.do(t.refer, TransferProgress{Channel: t.refer, State: state})
	}
	log := s.callLog(c)
	if s.calls[c.id] != c {
		log.Info("transfer failed; the caller had gone", "why", why)
		return
	}
	s.stopPlayback(c)
	s.stopMOH(c)
	if t.prior.EndedAt.IsZero() && !from.gone && c.offer == from {
		log.Info("transfer failed; back to the first operator", "why", why)
		s.move(c, evTransferFailed)
		s.do(c.id, AddToBridge{Bridge: c.bridge, Channels: []string{c.id, from.channel}})
		s.play(c.id, c.id, prompt, nil)
		s.play(c.id, from.channel, prompt, nil)
		return
	}
	// A hung up while the target rang: the caller goes first in the queue, on a new leg that says
	// who transferred them. The place is the first: they have waited once already.
	log.Info("transfer failed and the first operator has gone; caller to the head of the queue", "why", why)
	s.backToTheHead(c, from.op, prompt)
}

// backToTheHead puts a caller whose operator has gone without handing them on (a transfer that
// failed) first in the queue, on a new leg that says who had them, telling them why.
func (s *Switchboard) backToTheHead(c *call, from *operator, prompt []string) {
	if !s.move(c, evBackToQueue) {
		return // the caller is on their way out already
	}
	c.offer = nil
	now := s.clock.Now()
	c.priority = max(c.priority, routing.PriorityHeadOfQueue)
	c.leg = hotline.Leg{CallID: c.id, ArrivedAt: now, QueuedAt: now, TransferredFrom: from.ID}
	s.enqueue(c, c.joined)
	s.saveLeg(c)
	c.playback = s.play(c.id, c.id, prompt, func(bool) {
		c.playback = ""
		if c.state == stateQueued {
			s.startMOH(c)
		}
	})
}

// transferChannelGone handles a channel that went while a transfer was under way; it reports
// whether it did (the ordinary end handling must then not run).
func (s *Switchboard) transferChannelGone(ch string, cause int) bool {
	if t := s.transfers[ch]; t != nil {
		// The target's handset ended before answering: busy, rejected, absent.
		prompt := promptTransferUnavailable()
		why := fmt.Sprintf("handset hung up, cause %d", cause)
		switch cause {
		case 17:
			prompt, why = promptTransferBusy(), "busy"
		case 21:
			why = "declined"
		}
		s.transferFailed(t, why, prompt)
		return true
	}
	if c := s.calls[ch]; c != nil {
		t := s.transferOf(c)
		if t == nil {
			return false
		}
		// The caller hung up while the target rang: stop the ringing; the leg ends as the call does.
		delete(s.transfers, t.channel)
		t.timer.stop()
		if t.target.offer == t.ring {
			t.target.offer = nil
		}
		s.do(c.id, Hangup{Channel: t.channel, Reason: "normal"})
		if t.refer != "" {
			s.do(t.refer, TransferProgress{Channel: t.refer, State: progressUnavailable})
		}
		s.callLog(c).Info("caller hung up during a transfer")
		s.transferNotReached(t.from.op, c, t.target)
		if !t.prior.EndedAt.IsZero() {
			s.endCall(c, hotline.LegAbandoned) // A's leg is written; this one never connected
			return true
		}
		return false // A is still on: an ordinary end of a bridged call
	}
	if o := s.offers[ch]; o != nil && o.answered {
		t := s.transferOf(o.call)
		if t == nil || t.from != o {
			return false
		}
		// A hung up while the target rings, as a blind transfer goes: A's leg ends transferred and
		// the transfer goes on.
		c := o.call
		delete(s.offers, ch)
		o.gone = true
		now := s.clock.Now()
		c.leg.EndedAt, c.leg.End = now, hotline.LegTransferred
		s.metrics.CallEnded(hotline.LegTransferred, c.leg.QueueWait())
		t.prior = c.leg
		s.saveLeg(c)
		s.callEnded(o)
		s.callLog(c).Info("first operator left during the transfer; still ringing the target")
		return true
	}
	return false
}

// consultOriginateFailed: Asterisk refused to dial the colleague consulted on k.
func (s *Switchboard) consultOriginateFailed(k *consult, o Originate, err error) {
	s.log.Warn("consultation originate failed", "channel", k.a2, "endpoint", o.Endpoint, "err", err)
	s.consultGone(o.Channel)
}

// transferOriginateFailed: Asterisk refused to dial the target of transfer t.
func (s *Switchboard) transferOriginateFailed(t *transfer, o Originate, err error) {
	s.callLog(t.call).Warn("transfer originate failed", "endpoint", o.Endpoint, "err", err)
	s.transferFailed(t, "originate failed", promptTransferUnavailable())
}
