package switchboard

import (
	"fmt"
	"time"

	"github.com/hotline-dev/hotline"
)

// endpointTech is how operators' handsets are dialled: PJSIP/<extension>.
const endpointTech = "PJSIP/"

// offer is one attempt to connect a queued caller to an operator: the operator's handset rings on a
// channel whose id we chose, so its events match the offer even before Originate returns.
type offer struct {
	channel  string
	call     *call
	op       *operator
	timer    *timer // ring timeout
	answered bool
	rang     time.Time // when the handset was asked to ring
	done     bool      // ended without an answer, or cancelled: whatever still comes is hung up
	gone     bool      // the operator's channel has gone
}

// route offers waiting callers to free operators while routing finds pairs. Each offer makes its
// operator Ringing at once, on this loop, so no operator is ever offered two calls.
func (s *Switchboard) route() {
	if !s.connected {
		return
	}
	now := s.clock.Now()
	for {
		s.candidates(now)
		d, ok := s.router.Select(&s.queue, s.cands, now)
		if !ok {
			return
		}
		op := s.candOps[d.Index]
		if id, isCallback := callbackOf(d.Call); isCallback {
			s.assignCallback(d.Call, id, op)
			continue
		}
		c := s.calls[d.Call]
		if c == nil {
			s.queue.Remove(d.Call) // cannot happen: a call leaves the queue when it ends
			continue
		}
		if err := s.queue.Offer(c.id, op.ID); err != nil {
			s.callLog(c).Error("offer", "err", err)
			return
		}
		s.startOffer(c, op, d.Owner)
	}
}

func (s *Switchboard) startOffer(c *call, op *operator, toOwner bool) {
	s.move(c, evOffered)
	o := &offer{channel: offerChannel(c.id, s.id()), call: c, op: op, rang: s.clock.Now()}
	op.offer, c.offer = o, o
	s.offers[o.channel] = o
	o.timer = s.after(s.cfg.RingTimeout, func() { s.ringTimeout(o) })
	s.touch(op, s.clock.Now())
	s.traceOffer(op, o.channel)
	s.callLog(c).Debug("offering", "extension", op.Extension, "offer", o.channel, "owner", toOwner)
	s.do(c.id, Originate{
		Channel:    o.channel,
		Endpoint:   endpointTech + op.Extension,
		CallerID:   c.number,
		Timeout:    s.cfg.RingTimeout + 5*time.Second, // our timer decides; this only bounds a lost one
		Entry:      Offer{Call: c.id},
		Originator: c.id,
		Variables:  s.handsetVars,
	})
}

// ringTimeout: nobody picked up: hang the handset up, count the miss, try the next operator.
func (s *Switchboard) ringTimeout(o *offer) {
	if o.done || o.answered {
		return
	}
	s.do(o.call.id, Hangup{Channel: o.channel, Reason: "no_answer"})
	// It stopped when the timer was due: app_queue's RINGNOANSWER of a timeout is the timeout itself.
	s.noAnswer(o, hotline.RingTimedOut, o.rang.Add(s.cfg.RingTimeout), "ring timeout", true)
}

// onOfferAnswered: the operator answered: the caller leaves the queue and the two are bridged.
func (s *Switchboard) onOfferAnswered(m StasisStart) {
	o := s.offers[m.Channel]
	if o == nil || o.done || o.answered {
		// Answered after we gave up on it (ring timeout, the caller hung up): hang it up.
		s.log.Info("late answer hung up", "channel", m.Channel)
		s.do(m.Channel, Hangup{Channel: m.Channel, Reason: "normal"})
		return
	}
	c, op := o.call, o.op
	now := s.clock.Now()
	o.answered = true
	o.timer.stop()
	s.queue.Remove(c.id)
	s.move(c, evAnswered)
	c.announce.stop()
	c.maxWait.stop()
	c.leg.RangAt, c.leg.AnsweredAt = o.rang, now
	c.leg.OperatorID, c.leg.OperatorChannel = op.ID, o.channel
	c.answered = true
	s.metrics.CallAnswered(c.leg.QueueWait())
	if c.calledBack && c.callbackFor != "" {
		// The person asked to be called back talks to an operator: their delayed answer is that
		// operator's case «В работе».
		id, opID := c.id, op.ID
		s.journalWrite(Write{Connected: &CallbackConnected{CallID: id, OperatorID: opID}}, nil)
	}
	op.missed = 0
	op.countCall(now)
	s.stopPlayback(c)
	s.stopMOH(c)
	// Ids unique per leg: a caller answered again (after a failed transfer, or a restart) gets a
	// new bridge and recording, never one Asterisk may still hold.
	n := s.id()
	c.bridge = callBridge(c.id, n)
	// Transfers from the handset were allowed as it was originated (handsetVariables).
	s.do(c.id, CreateBridge{Bridge: c.bridge}, AddToBridge{Bridge: c.bridge, Channels: []string{c.id, o.channel}})
	s.recordLeg(c, legRecording(c.id, n))
	// Prompt: the operator's workplace lets them open the call's card once a leg names them
	// (journal.CallOf), and they may click as soon as they answer.
	leg := c.leg
	s.journalWriteAs(Write{SaveLeg: &leg}, true, nil)
	s.callLog(c).Debug("answered; bridged", "extension", op.Extension, "queue_wait", c.leg.QueueWait(), "recording", c.recording)
}

// Q.850 causes that mean the handset could not ring at all: not the operator's miss.
func unreachableCause(cause int) bool {
	switch cause {
	case 3, 20, 27, 38: // no route, subscriber absent, destination out of order, network out of order
		return true
	}
	return false
}

// referGiveUp is how soon after a refused REFER a handset's hang-up is taken for the handset giving
// up on the transfer rather than the operator ending the call.
const referGiveUp = 10 * time.Second

// operatorChannelGone: the operator's channel ended. Before an answer it is a reject, busy or
// unreachable handset; after, the operator hung up.
func (s *Switchboard) operatorChannelGone(o *offer, cause int) {
	delete(s.offers, o.channel)
	o.gone = true
	if !o.answered {
		if !o.done {
			s.noAnswer(o, hotline.RingDeclined, s.clock.Now(), fmt.Sprintf("handset hung up, cause %d", cause), !unreachableCause(cause))
		}
		return
	}
	c := o.call
	// The handset hung up right after hotline refused its transfer (baresip and many blind-transfer
	// handsets do): the operator meant to pass the caller on, not to drop them.
	talking := s.calls[c.id] == c && c.state == stateBridged
	gaveUp := talking && !c.referRefused.IsZero() && s.clock.Now().Sub(c.referRefused) < referGiveUp
	if talking {
		if gaveUp {
			s.callLog(c).Info("operator's handset hung up after its transfer was refused; caller to the head of the queue")
			c.referRefused = time.Time{}
			c.leg.EndedAt, c.leg.End = s.clock.Now(), hotline.LegTransferred
			s.saveLeg(c)
		} else {
			s.callLog(c).Debug("operator hung up")
			s.move(c, evOperatorHungUp)
			c.leg.End, c.leg.HungUpBy = hotline.LegCompleted, hotline.SideOperator
			s.do(c.id, Hangup{Channel: c.id, Reason: "normal"})
		}
	}
	// In every state: also when the call was already failing (a refused bridge) the operator
	// must not stay "talking".
	s.callEnded(o)
	if o.op.wrapChannel == o.channel {
		o.op.wrapChannel = ""
	}
	if gaveUp {
		c.bridge = "" // callEnded took it down
		s.backToTheHead(c, o.op, promptTransferUnavailable())
	}
}

// noAnswer ends an offer that was not answered (stop at stopped); the caller keeps their place.
func (s *Switchboard) noAnswer(o *offer, stop hotline.RingStop, stopped time.Time, why string, missed bool) {
	if o.done || o.answered {
		return
	}
	o.done = true
	s.recordRing(o, stop, stopped)
	o.timer.stop()
	c, op := o.call, o.op
	if op.offer == o {
		op.offer = nil
	}
	if c.offer == o {
		c.offer = nil
	}
	if s.calls[c.id] == c {
		s.move(c, evNotAnswered)
	}
	if s.calls[c.id] == c && c.state == stateQueued {
		if _, err := s.queue.NoAnswer(c.id); err != nil {
			s.callLog(c).Error("no answer", "err", err)
		}
	}
	log := s.log.With("call", c.id, "operator", op.ID)
	if missed {
		n, pause := s.router.Rules.OfferMissed(op.missed)
		op.missed = n
		log.Info("offer not answered", "why", why, "missed_in_a_row", n)
		if pause {
			op.paused, op.reason = true, "missed"
			causedBy(op, hotline.PresenceBySwitchboard)
			log.Warn("operator paused: missed offers in a row", "missed", n)
		}
	} else {
		log.Info("offer failed", "why", why)
	}
	s.touch(op, s.clock.Now())
	if c.overdue && c.state == stateQueued {
		s.callLog(c).Info("waited too long: overflow")
		s.startOverflow(c)
	}
}

// recordLeg starts recording the call's conversation under name, for its current leg, if calls
// are recorded (each leg of a transferred call has its own recording). It records on the operator's
// channel of the leg (RecordCall: what they say and hear, so both sides), not in the bridge, and a
// leg's operator channel is its own: a transfer never stops and restarts a recording on one
// channel (MixMonitor then lost the far side of the second: Asterisk issue 507).
func (s *Switchboard) recordLeg(c *call, name string) {
	s.stopRecorder(c)
	s.forgetRecording(c)
	c.recording = ""
	if !s.cfg.RecordCalls {
		return
	}
	c.recording, c.recorder, c.recorderOn = name, name, c.leg.OperatorChannel
	c.leg.RecordingName = name
	s.recs[name] = c
	s.recAsked[name] = true
	s.do(c.id, RecordCall{Channel: c.recorderOn, Bridge: c.bridge, Name: name, Format: s.cfg.RecordingFormat})
}

// forgetRecording drops the conversation recording's name from s.recs: it is there only so that a
// RecordingFailed (a bridge recorded instead, see RecordCall) can be matched to the leg while the
// call lasts; a recording on a channel sends no event at all, and kept, the names would pile up.
// A name whose RecordCall has not been answered stays until the answer (opResult): a refusal after
// the call ended must still find the leg to take the recording's name off it.
func (s *Switchboard) forgetRecording(c *call) {
	if c.recording != "" && c.recording != messageRecording(c.id) && !s.recAsked[c.recording] {
		delete(s.recs, c.recording)
	}
}

// stopRecorder ends the conversation recording running on the operator's channel, for a handset
// that stays up without the conversation (wrap-up); a hang-up ends it by itself.
func (s *Switchboard) stopRecorder(c *call) {
	if c.recorder == "" {
		return
	}
	s.do(c.id, StopRecording{Channel: c.recorderOn, Name: c.recorder})
	c.recorder, c.recorderOn = "", ""
}

// cancelOffer withdraws an offer still ringing (the caller hung up, or failed): not a miss.
func (s *Switchboard) cancelOffer(o *offer, stop hotline.RingStop, why string) {
	if o.done || o.answered {
		return
	}
	o.done = true
	s.recordRing(o, stop, s.clock.Now())
	o.timer.stop()
	if o.op.offer == o {
		o.op.offer = nil
	}
	if o.call.offer == o {
		o.call.offer = nil
	}
	// On the call's lane: if the originate is still in flight, the hangup follows it.
	s.do(o.call.id, Hangup{Channel: o.channel, Reason: "normal"})
	s.log.Info("offer withdrawn", "call", o.call.id, "operator", o.op.ID, "why", why)
	s.touch(o.op, s.clock.Now())
}

// callEnded: a bridged call is over: the operator goes to wrap-up; a handset still off-hook stays
// up for it so a topic can be keyed.
func (s *Switchboard) callEnded(o *offer) {
	op, c := o.op, o.call
	s.supervisionEndsWith(c, o, "the conversation ended for the operator")
	if op.offer != o {
		return
	}
	op.offer = nil
	now := s.clock.Now()
	if c.bridge != "" {
		s.do(c.id, DestroyBridge{Bridge: c.bridge})
	}
	s.handle.Add(now.Sub(c.leg.AnsweredAt) + s.cfg.Routing.WrapUp)
	op.lastCallID = c.id
	if !o.gone {
		if c.recorderOn == o.channel {
			// The handset stays up for wrap-up: the conversation's recording ends here, as it did
			// with its bridge.
			s.stopRecorder(c)
		}
		delete(s.offers, o.channel)
		op.wrapChannel = o.channel
		op.digits, op.keying = "", false
		// On the call's lane, after the bridge is destroyed, not at the same time: a prompt racing
		// the bridge's teardown is the suspect when, rarely, a handset was never hung up at the end
		// of wrap-up (Asterisk sent no BYE; not reproduced on demand).
		s.play(c.id, o.channel, s.cfg.Prompts.WrapUp, nil)
	}
	s.startWrapUp(op)
}

// recordRing files an offer that ended unanswered, before whatever the call does next (a new leg,
// its end), so the journal puts it on the leg it rang for.
func (s *Switchboard) recordRing(o *offer, stop hotline.RingStop, stopped time.Time) {
	s.journalWrite(Write{Ring: &hotline.RingAttempt{CallID: o.call.id, OperatorID: o.op.ID, RangAt: o.rang,
		StoppedAt: stopped, Why: stop}}, nil)
}
