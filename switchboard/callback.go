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

// Callbacks. A caller who keys 1 at overflow keeps their place in the queue without a line; the
// journal opens their «Отсроченный ответ» case by its rule (Write.Callback). When the place reaches
// the head and an operator is free, the callback is given to that operator (the delayed answer is
// theirs), and then:
//
//	no calls.callback_dial ─► the operator gets a wrap-up to call back by hand (as a handset can)
//	calls.callback_dial    ─► the operator is reserved (presence ringing) and hotline dials the
//	                          caller (<call>-cb<n>, Stasis args callback,<call>)
//	  answered ─► "please hold", then offered to the reserved operator at once, as a caller at the
//	              head of the queue: the usual offer, bridge, recording, a call of its own
//	              (callback_for), and the delayed answer «В работе» for the operator who talks
//	  no answer, busy, failed ─► the operator is released; after calls.callback_retry the callback
//	              queues again at its old place, up to calls.callback_attempts dialling attempts;
//	              then it stays in the journal as the operator's delayed answer.
//
// A specialist asks the same dialling from the workplace for a case (CallBack): for a free
// operator, with no place in the queue, one attempt, each step noted on the case (CaseCallback).
//
// A callback's place lives in memory; at start the callbacks the journal says no operator was
// given yet (WaitingCallbacks) queue again at their old places. Limits: a callback already given to
// an operator whose dialling had not succeeded when the daemon stopped (ringing, or waiting for a
// retry) is left to that operator as a delayed answer (a call being dialled across a restart is
// taken in when answered: its number travels in its Stasis args). The operator is reserved only
// while the caller's phone rings. A called-back caller has no dialplan
// to return to, so a drain leaves them for the next start rather than handing them over.

// callbackRing is how long a caller's phone rings when hotline calls them back.
const callbackRing = 30 * time.Second

// pendingCallback is a caller who asked to be called back, from the moment they keyed 1 until an
// operator has them on the line or the attempts run out.
type pendingCallback struct {
	key      string    // queue key: callback:<call>
	callID   string    // the call that asked
	number   string    // as Asterisk gave it: what the trunk dials back
	owner    int64     // the owner of the caller's open case (calls.returning_to_owner)
	joined   time.Time // first join: the place kept
	priority int
	line     line
	tries    int       // dialling attempts made
	op       *operator // the operator it was given to
	channel  string    // the dialling channel, while it rings
	ring     *timer    // bounds the ringing should Asterisk never report its end
	// caseID: asked from the workplace for this case (CallBack): one attempt, noted on the case;
	// callID is then caseCallID(caseID), no call of the journal's.
	caseID int64
	// inform: a campaign's person dialled by the progressive dialler (informing.go).
	inform *informCall
	cause  int // the Q.850 cause the unanswered channel ended with; -1: never dialled
}

// queueCallback puts cb (back) in the queue at its old place.
func (s *Switchboard) queueCallback(cb *pendingCallback) error {
	number, _ := s.cfg.PhoneRegion.Normalize(cb.number)
	owner := int64(0)
	if s.cfg.Routing.PreferOwner {
		owner = cb.owner
	}
	if _, err := s.queue.Enqueue(routing.Caller{ID: cb.key, Number: number, Priority: cb.priority,
		JoinedAt: cb.joined, Topic: cb.line.topic, Language: cb.line.language, Owner: owner}); err != nil {
		return err
	}
	s.callbacks[cb.key] = cb
	return nil
}

// assignCallback: a callback reached the head and op is free: the case is op's delayed answer;
// hotline dials the caller for op, or op calls back by hand.
func (s *Switchboard) assignCallback(key, callID string, op *operator) {
	s.queue.Remove(key)
	cb := s.callbacks[key]
	delete(s.callbacks, key)
	if cb == nil {
		return
	}
	cb.op = op
	s.log.Info("callback assigned", "call", callID, "operator", op.ID, "attempt", cb.tries+1)
	id, opID := callID, op.ID
	s.journalWrite(Write{Callback: &CallbackAsked{CallID: id, OperatorID: opID}}, nil)
	if s.cfg.CallbackDial == "" || cb.number == "" || s.draining {
		op.lastCallID = callID
		s.startWrapUp(op)
		s.touch(op, s.clock.Now())
		return
	}
	s.dialCallback(cb, op)
}

// dialCallback reserves op for cb and dials the caller.
func (s *Switchboard) dialCallback(cb *pendingCallback, op *operator) {
	callID := cb.callID
	cb.op = op
	cb.tries++
	cb.channel = callbackChannel(callID, s.id())
	s.dialing[cb.channel] = cb
	op.reserved = cb
	s.touch(op, s.clock.Now())
	ch := cb.channel
	endpoint, ring := s.cfg.CallbackDial, callbackRing
	if cb.inform != nil {
		endpoint, ring = s.cfg.InformDial, s.cfg.InformRing
	}
	cb.ring = s.after(ring+10*time.Second, func() {
		if s.dialing[ch] == cb {
			s.do(ch, Hangup{Channel: ch, Reason: "no_answer"})
			s.callbackFailed(cb, "no news of the call from Asterisk")
		}
	})
	s.do(cb.channel, Originate{
		Channel:  cb.channel,
		Endpoint: strings.ReplaceAll(endpoint, "{number}", cb.number),
		Timeout:  ring,
		// The number travels with the call: a run that did not dial it (after a restart) can
		// still take the caller in when they answer.
		Entry: Callback{Call: callID, Number: cb.number},
	})
}

// onCallbackAnswered: the caller picked up. They join the queue at its head and are offered to
// the operator reserved for them.
func (s *Switchboard) onCallbackAnswered(m StasisStart, e Callback) {
	if _, dup := s.calls[m.Channel]; dup {
		return
	}
	cb := s.dialing[m.Channel]
	if cb == nil {
		// Dialled by an earlier run: nobody is reserved for them; they go first in the queue.
		cb = &pendingCallback{channel: m.Channel, callID: e.Call, number: e.Number}
		cb.caseID, _ = caseOfCallback(e.Call)
		if campaign, person, ok := informOfCall(e.Call); ok {
			// A campaign's person, dialled before a restart: the answer is filed as their
			// attempt (for the representative who claimed them, the journal knows whom), so
			// they are not dialled again.
			cb.inform = &informCall{campaign: campaign, person: person, dialledAt: s.clock.Now()}
		}
		s.log.Info("called back by an earlier run: answered", "channel", m.Channel, "number", cb.number)
	}
	delete(s.dialing, m.Channel)
	cb.ring.stop()
	op := cb.op
	s.release(cb)
	now := s.clock.Now()
	number, _ := s.cfg.PhoneRegion.Normalize(cb.number)
	c := &call{id: m.Channel, number: number, priority: max(cb.priority, routing.PriorityHeadOfQueue),
		line: cb.line, joined: now, calledBack: true, callbackFor: cb.callID}
	if cb.inform != nil {
		// Offered to the representative at once below; should they miss it, the person waits
		// behind the inbound callers (who keep their priority for level-1 operators).
		c.priority = routing.PriorityOrdinary
	}
	if cb.caseID != 0 || cb.inform != nil || isInformCall(cb.callID) {
		c.callbackFor = "" // asked from a case or a campaign, not by a call: they are told below
	}
	if op != nil {
		c.owner = op.ID
	}
	c.leg = hotline.Leg{CallID: c.id, CallerNumber: cb.number, ArrivedAt: now, GreetingEndAt: now, QueuedAt: now}
	s.move(c, evCalledBack)
	s.calls[c.id] = c
	s.callLog(c).Info("called back: answered", "for", cb.callID, "attempt", cb.tries)
	s.fileCall(c)
	if cb.caseID != 0 {
		// After the call is filed (the outbox keeps the order): the case lists the call.
		s.noteCaseCallback(cb, CaseCallbackAnswered, c.id, "", "")
	}
	if cb.inform != nil {
		s.informEnded(cb, hotline.DialAnswered, c.id, "") // after the call is filed, as above
	}
	s.enqueue(c, now)
	s.saveLeg(c)
	c.playback = s.play(c.id, c.id, s.cfg.Prompts.CallingBack, func(bool) {
		c.playback = ""
		if c.state == stateQueued && (c.offer == nil || !c.offer.answered) {
			s.startMOH(c)
		}
	})
	// Waiting like any caller: announcements, and overflow after max_wait should the operator not
	// come (paused, gone, missed the offer).
	s.startWaitTimers(c)
	if op != nil && op.derive() == hotline.PresenceAvailable && s.queue.Offer(c.id, op.ID) == nil {
		s.startOffer(c, op, true)
	}
}

// release frees the operator reserved for cb.
func (s *Switchboard) release(cb *pendingCallback) {
	if cb.op != nil && cb.op.reserved == cb {
		cb.op.reserved = nil
		s.touch(cb.op, s.clock.Now())
	}
}

// callbackChannelGone: the caller's phone did not answer (or the dialling failed); it reports
// whether ch was a callback being dialled.
func (s *Switchboard) callbackChannelGone(ch string, cause int) bool {
	cb := s.dialing[ch]
	if cb == nil {
		return false
	}
	cb.cause = cause
	s.callbackFailed(cb, fmt.Sprintf("not answered (cause %d)", cause))
	return true
}

// callbackOriginateFailed: Asterisk refused to dial callback cb.
func (s *Switchboard) callbackOriginateFailed(cb *pendingCallback, err error) {
	// The request may have failed after Asterisk created the channel (a timeout): make sure it
	// does not ring on beside the next attempt.
	s.do(cb.channel, Hangup{Channel: cb.channel, Reason: "normal"})
	cb.cause = -1
	s.callbackFailed(cb, "dialling failed: "+err.Error())
}

func (s *Switchboard) callbackFailed(cb *pendingCallback, why string) {
	delete(s.dialing, cb.channel)
	cb.ring.stop()
	s.release(cb)
	if cb.inform != nil {
		outcome := dialOutcome(cb.cause)
		if cb.cause < 0 {
			outcome = hotline.DialFailed
		}
		s.informEnded(cb, outcome, "", why)
		return
	}
	log := s.log.With("call", cb.callID, "operator", cb.op.ID)
	if cb.caseID != 0 {
		// Asked from the workplace: one attempt; the specialist sees it on the case and asks again.
		log.Info("call-back from the workplace not answered", "case", cb.caseID, "why", why)
		s.noteCaseCallback(cb, CaseCallbackNotAnswered, cb.channel, why, "")
		return
	}
	if cb.tries >= s.cfg.CallbackAttempts {
		log.Warn("callback not reached; the case stays the operator's delayed answer", "why", why, "attempts", cb.tries)
		return
	}
	log.Info("callback not reached; will try again", "why", why, "attempt", cb.tries, "in", s.cfg.CallbackRetry)
	s.after(s.cfg.CallbackRetry, func() {
		if err := s.queueCallback(cb); err != nil {
			log.Error("callback not queued again", "err", err)
		}
	})
}

// callbacksLoaded is the journal's answer to WaitingCallbacks.
type callbacksLoaded struct {
	legs []hotline.Leg
	err  error
}

// loadWaitingCallbacks asks the journal, once the start's reconciliation is done, for the
// callbacks an earlier run had queued.
func (s *Switchboard) loadWaitingCallbacks() {
	cj := s.jr
	s.journalRead("waiting callbacks", "", func(ctx context.Context) error {
		legs, err := cj.WaitingCallbacks(ctx)
		if err == nil || !retryable(err) {
			s.post(callbacksLoaded{legs: legs, err: err})
		}
		return err
	})
}

// onCallbacksLoaded queues each callback again at the place it had: its first join.
func (s *Switchboard) onCallbacksLoaded(m callbacksLoaded) {
	if m.err != nil {
		s.log.Error("callbacks of the previous run not read: they stay delayed answers in the journal", "err", m.err)
		return
	}
	for _, l := range m.legs {
		key := callbackKey(l.CallID)
		if s.callbacks[key] != nil || l.CallerNumber == "" {
			continue
		}
		joined := l.QueuedAt
		if joined.IsZero() {
			joined = l.ArrivedAt
		}
		cb := &pendingCallback{key: key, callID: l.CallID, number: l.CallerNumber, joined: joined}
		if err := s.queueCallback(cb); err != nil {
			s.log.Error("callback of the previous run not queued", "call", l.CallID, "err", err)
			continue
		}
		s.log.Info("callback of the previous run queued again", "call", l.CallID, "waiting_since", joined)
	}
}

// CallBack is a specialist's «перезвонить» on a case: hotline dials number for operator
// operatorID as it dials a callback whose turn came (calls.callback_dial): the operator is
// reserved while the person's phone rings; when they answer, they hear "please hold" and are
// offered to that operator at once (a call of its own, bridged and recorded). The attempt and
// whether it was answered are written in case caseID's history, and the call is put on the case.
// The operator must be free now; only they or an administrator may ask; one attempt (no retry).
func (s *Switchboard) CallBack(ctx context.Context, by hotline.Actor, operatorID int64, number string, caseID int64) error {
	return s.ask(ctx, func(s *Switchboard) error { return s.requestCallBack(by, operatorID, number, caseID) })
}

// requestCallBack is CallBack on the loop.
func (s *Switchboard) requestCallBack(by hotline.Actor, operatorID int64, number string, caseID int64) error {
	if by.Login == "" {
		return hotline.Errorf(hotline.EINVALID, "a call-back without an actor: who asks must be known")
	}
	op, err := s.operator(operatorID)
	if err != nil {
		return err
	}
	if err := by.RequireSelfOrAdministrator(op.ID, fmt.Sprintf("call back for operator %d", op.ID)); err != nil {
		return err
	}
	if caseID <= 0 {
		return hotline.Errorf(hotline.EINVALID, "a call-back is asked for a case: case id must be a positive number, not %d", caseID)
	}
	e164, ok := s.cfg.PhoneRegion.Normalize(number)
	if !ok {
		return hotline.Errorf(hotline.EINVALID, "%q is not a phone number hotline can dial", clipped(number))
	}
	switch {
	case s.cfg.CallbackDial == "":
		return hotline.Errorf(hotline.EUNAVAILABLE, "hotline does not dial callers back: configure calls.callback_dial (the endpoint to dial, with {number}), or call from the handset")
	case s.draining:
		return hotline.Errorf(hotline.EUNAVAILABLE, "hotline is stopping: no call-backs now")
	case !s.connected || s.replaced:
		return hotline.Errorf(hotline.EUNAVAILABLE, "hotline is not connected to Asterisk: no call-backs now")
	}
	if p := op.derive(); p != hotline.PresenceAvailable {
		return hotline.Errorf(hotline.ECONFLICT, "operator %d (%s) is not free (%s): hotline calls back only for a free operator", op.ID, op.Name, p)
	}
	cb := &pendingCallback{callID: caseCallID(caseID), number: e164, caseID: caseID,
		priority: routing.PriorityHeadOfQueue, joined: s.clock.Now()}
	s.log.Info("call-back asked from the workplace", "case", caseID, "operator", op.ID, "number", e164, "by", by.Login)
	s.dialCallback(cb, op)
	s.noteCaseCallback(cb, CaseCallbackDialled, cb.channel, "", by.Login)
	return nil
}

// caseCallID names a call-back asked for case id: the Stasis args' call of its channel, so a run
// that did not dial it (after a restart) still knows the case when the person answers.
func caseCallID(id int64) string { return "case" + strconv.FormatInt(id, 10) }

// caseOfCallback reads caseCallID.
func caseOfCallback(call string) (int64, bool) {
	digits, ok := strings.CutPrefix(call, "case")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != digits {
		return 0, false
	}
	return id, true
}

// clipped bounds what a refusal quotes of its input (whole characters).
func clipped(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}

// noteCaseCallback writes a workplace call-back's progress on its case; by is who asked, for the
// dialling ("": the call flow).
func (s *Switchboard) noteCaseCallback(cb *pendingCallback, what, call, why, by string) {
	n := CaseCallback{CaseID: cb.caseID, Number: cb.number, CallID: call, What: what, Why: why, By: by}
	if cb.op != nil {
		n.OperatorID = cb.op.ID
	}
	s.journalWrite(Write{CaseCallback: &n}, nil)
}
