package switchboard

import (
	"time"

	"github.com/hotline-dev/hotline"
)

// Consultation calls and attended transfers. A handset's call to another handset goes through the
// application (extensions.conf: Stasis(hotline,consult,<extension>), then a plain Dial if hotline
// is not running), so that when the operator presses "transfer" to join the caller with the
// colleague just consulted (REFER with Replaces), both calls are hotline's to join:
//
//	A's second call A2 enters Stasis ──► the colleague's handset rings (<A2>-cs<n>, args consulted,<A2>)
//	  answered ──► A2 answered, A2 and the colleague bridged (not recorded: not a call with a caller)
//	REFER on A1 replacing A2 ──► A's leg ends "transferred"; A2 hung up; the caller joins the
//	  colleague's bridge, recorded as a new leg (TransferredFrom A); A's handset gets the 200.
//
// Either end of a consultation hanging up ends it. A colleague who is not an operator cannot take
// the caller (nobody to file the leg under): that transfer is declined and A keeps both calls.

type consult struct {
	a2, target string // A's consulting channel and the colleague's (ours)
	from       *operator
	to         *operator // nil: an extension no operator has
	bridge     string
	answered   bool
}

// onConsult: an operator's handset dialled another extension.
func (s *Switchboard) onConsult(m StasisStart, e Consult) {
	ext := e.Extension
	from := s.byExt[extensionOf(m.Name)]
	k := &consult{a2: m.Channel, target: consultChannel(m.Channel, s.id()), from: from, to: s.byExt[ext]}
	k.bridge = consultBridge(k.target)
	s.consults[k.a2], s.consults[k.target] = k, k
	if k.to != nil && k.to != from {
		k.to.consulted = k
		s.touch(k.to, s.clock.Now())
	}
	s.log.Info("consultation call", "channel", k.a2, "from", extensionOf(m.Name), "to", ext)
	s.do(k.a2, Originate{
		Channel:    k.target,
		Endpoint:   endpointTech + ext,
		CallerID:   extensionOf(m.Name),
		Timeout:    30 * time.Second,
		Entry:      Consulted{A2: k.a2},
		Originator: k.a2,
		Variables:  s.handsetVars,
	})
}

// onConsultAnswered: the colleague picked up: the two talk.
func (s *Switchboard) onConsultAnswered(m StasisStart) {
	k := s.consults[m.Channel]
	if k == nil || k.target != m.Channel {
		s.do(m.Channel, Hangup{Channel: m.Channel, Reason: "normal"})
		return
	}
	k.answered = true
	if k.to != nil {
		s.touch(k.to, s.clock.Now())
	}
	s.allowTransfers(k.a2, k.a2)
	s.do(k.a2, Answer{Channel: k.a2}, CreateBridge{Bridge: k.bridge},
		AddToBridge{Bridge: k.bridge, Channels: []string{k.a2, k.target}})
}

// endConsult forgets a consultation; the colleague may be offered callers again.
func (s *Switchboard) endConsult(k *consult) {
	delete(s.consults, k.a2)
	delete(s.consults, k.target)
	if k.to != nil && k.to.consulted == k {
		k.to.consulted = nil
		s.touch(k.to, s.clock.Now())
	}
}

// consultGone ends a consultation when either end goes; it reports whether ch was one.
func (s *Switchboard) consultGone(ch string) bool {
	k := s.consults[ch]
	if k == nil {
		return false
	}
	s.endConsult(k)
	other := k.a2
	if ch == k.a2 {
		other = k.target
	}
	s.do(k.a2, Hangup{Channel: other, Reason: "normal"}, DestroyBridge{Bridge: k.bridge})
	return true
}

// attendedTransfer joins the caller of A's call with the colleague A consulted on k.
func (s *Switchboard) attendedTransfer(c *call, from *offer, refer string, k *consult) {
	log := s.callLog(c)
	if c.state != stateBridged || c.offer != from || !k.answered || k.to == nil || k.to.offer != nil || s.transferOf(c) != nil {
		s.metrics.Transfer("refused")
		log.Info("attended transfer declined", "consult", k.a2, "answered", k.answered, "operator", k.to != nil)
		s.do(refer, TransferProgress{Channel: refer, State: progressDeclined})
		return
	}
	s.endConsult(k)
	s.move(c, evTransferred)
	now := s.clock.Now()
	s.metrics.Transfer("answered")
	// On the REFER's channel's own lane, so the handset is told before callEnded hangs it up
	// (at once without a wrap-up): on the call's lane the hang-up could win, and the handset would
	// hear of no NOTIFY and take its transfer for failed.
	s.do(refer, TransferProgress{Channel: refer, State: progressAnswered})
	// The consultation's bridge, where the caller joins B: queue_log's ATTENDEDTRANSFER names it.
	c.leg.EndedAt, c.leg.End, c.leg.TransferBridge = now, hotline.LegTransferred, k.bridge
	s.metrics.CallEnded(hotline.LegTransferred, c.leg.QueueWait())
	s.saveLeg(c)
	s.callEnded(from) // A's bridge goes; A's handset stays for wrap-up until it hangs up
	target := k.to
	o := &offer{channel: k.target, call: c, op: target, answered: true}
	target.offer, c.offer = o, o
	s.offers[o.channel] = o
	target.missed = 0
	target.countCall(now)
	c.leg = hotline.Leg{CallID: c.id, ArrivedAt: now,
		AnsweredAt: now, OperatorID: target.ID, OperatorChannel: k.target, TransferredFrom: from.op.ID}
	c.bridge = k.bridge
	s.do(c.id, Hangup{Channel: k.a2, Reason: "normal"}, AddToBridge{Bridge: c.bridge, Channels: []string{c.id}})
	// The colleague's handset allows transfers since it was originated (handsetVariables).
	s.recordLeg(c, legRecording(c.id, s.id()))
	s.saveLeg(c)
	s.touch(target, now)
	s.noteTransfer(from.op, c, target)
	s.transferReached(from.op, c, target)
	log.Info("attended transfer; bridged", "from", from.op.ID, "to", target.ID, "recording", c.recording)
}
