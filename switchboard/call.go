package switchboard

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/routing"
)

// callState is where a caller is. The order is the order of a call's life; the transitions are
// the table in callfsm.go.
type callState int

const (
	stateNew        callState = iota // not in the switchboard yet: a call is created in it, then moved
	stateGreeting                    // answered, the greeting plays
	stateQueued                      // waiting: music, announcements; may be offered to an operator
	stateBridged                     // talking to an operator
	stateOverflow                    // out of the queue: being offered a callback, or leaving a message
	stateHandedOver                  // sent back to the dialplan's fallback (a drain): leaving the application
	stateHangingUp                   // we hung the caller up; waiting for the channel to go
	stateEnded                       // the leg is written; late events find nothing to do

	numCallStates int = iota
)

func (st callState) String() string {
	switch st {
	case stateNew:
		return "new"
	case stateGreeting:
		return "greeting"
	case stateQueued:
		return "queued"
	case stateBridged:
		return "bridged"
	case stateOverflow:
		return "overflow"
	case stateHandedOver:
		return "handed_over"
	case stateHangingUp:
		return "hanging_up"
	case stateEnded:
		return "ended"
	}
	return fmt.Sprintf("callState(%d)", int(st))
}

// call is one caller's channel in the application, from StasisStart to its end.
type call struct {
	log    *slog.Logger // callLog's, for operator logOp
	logOp  int64
	id     string // the caller's channel id; also the leg's CallID and the lane's key
	number string
	state  callState
	leg    hotline.Leg
	filed  bool // StartCall's answer (callFiled) has come: who owns the caller's cases is known

	owner     int64 // the operator who owns the caller's open case (calls.returning_to_owner)
	openCases int   // the caller's cases in work, as the journal said at arrival
	hungUp    bool  // the caller hung up (a hangup request): a playback ending now is not the greeting's end

	priority    int
	line        line      // what the dialled number says about the caller's needs (lines.go)
	joined      time.Time // when the caller first joined the queue; a callback keeps it
	playback    string    // the announcement or prompt playing now, to stop it on answer
	moh         bool
	announce    *timer
	maxWait     *timer
	overdue     bool // waited MaxWait while being offered: overflow when that offer ends
	offer       *offer
	bridge      string
	overflow    string // "callback" or "message": the path taken at overflow
	digitWait   *timer // overflow: waiting for "1"
	recording   string // the conversation's recording (this leg's), or the caller's message
	recorder    string // the conversation recording running on recorderOn (RecordCall), "" when none
	recorderOn  string // the operator's channel it records
	answered    bool   // an operator talked to the caller on some leg
	messageLeft bool   // the caller's voice message was stored

	referRefused time.Time // hotline refused the operator's REFER then: a hang-up soon after is the handset giving up (transfer.go)
	calledBack   bool      // hotline dialled this caller back (callback.go): no dialplan to return to
	callbackFor  string    // with calledBack: the call that asked for it
}

// callLog is the log of call c, naming it and its operator. It is kept on the call until the
// operator changes: slog's With formats its attributes anew each time (docs/benchmark.md).
func (s *Switchboard) callLog(c *call) *slog.Logger {
	var opID int64
	if c.offer != nil {
		opID = c.offer.op.ID
	}
	if c.log == nil || c.logOp != opID {
		c.log, c.logOp = s.log.With("call", c.id, "operator", opID), opID
	}
	return c.log
}

// onStasisStart routes a channel entering the application by why it entered (entry.go).
func (s *Switchboard) onStasisStart(m StasisStart) {
	switch e := m.Entry.(type) {
	case Inbound:
		if s.draining {
			s.turnAway(m)
			return
		}
		s.arrive(m, e)
	case Offer:
		s.onOfferAnswered(m)
	case Feature:
		s.onFeature(m, e)
	case TransferTarget:
		s.onTransferAnswered(m)
	case Consult:
		s.onConsult(m, e)
	case Consulted:
		s.onConsultAnswered(m)
	case Callback:
		s.onCallbackAnswered(m, e)
	case SupervisorDevice:
		s.onSupervisorAnswered(m)
	case SnoopChannel:
		s.onSnoopStarted(m)
	default:
		// Not ours to decide (a misconfigured dialplan): say so in the log and let it go.
		var args []string
		var err error
		if bad, ok := e.(Malformed); ok {
			args, err = bad.Args, bad.Err
		}
		s.log.Warn("channel entered the application with unknown arguments; hanging up", "channel", m.Channel, "args", args, "err", err)
		s.do(m.Channel, Hangup{Channel: m.Channel, Reason: "normal"})
	}
}

// arrive: a caller dialled the hotline. Answer, file the call, greet.
func (s *Switchboard) arrive(m StasisStart, in Inbound) {
	if _, dup := s.calls[m.Channel]; dup {
		return
	}
	now := s.clock.Now()
	// One form of a number everywhere (E.164 when it is one): the live view, priority, the journal.
	number, valid := s.cfg.PhoneRegion.Normalize(m.CallerNumber)
	c := &call{id: m.Channel, number: number}
	c.leg = hotline.Leg{CallID: c.id, CallerNumber: m.CallerNumber, ArrivedAt: now}
	c.line = line{language: in.Language, topic: in.Topic, dialled: m.Exten}
	if s.priority.Has(number, valid) {
		c.priority = routing.PriorityListed
	}
	s.move(c, evArrived)
	s.calls[c.id] = c
	s.metrics.CallArrived()
	s.callLog(c).Debug("call arrived", "from", c.number, "language", c.line.language, "topic", c.line.topic)
	if len(in.Ignored) > 0 {
		s.callLog(c).Warn("dialplan passed arguments hotline does not know (want language=.. or topic=..); ignored", "args", in.Ignored)
	}

	s.fileCall(c)
	// The shipped dialplan answers before Stasis(), as app_queue's dialplans answer before Queue():
	// the caller's 200 OK then waits for no round trip through hotline (and Asterisk is asked one
	// request less a call). A dialplan that does not answer leaves it to hotline.
	if !m.Up {
		s.do(c.id, Answer{Channel: c.id})
	}
	c.playback = s.playAs(greetingPlayback(c.id), c.id, c.id, []string{s.cfg.Greeting}, func(bool) { s.greeted(c) })
}

// fileCall files the call's arrival in the journal (StartCall); what the journal knows of the
// caller comes back as callFiled. No case is opened: people open cases.
func (s *Switchboard) fileCall(c *call) {
	start := CallStart{CallID: c.id, CallerNumber: c.leg.CallerNumber, Line: c.line.dialled, CallbackFor: c.callbackFor,
		ArrivedAt: c.leg.ArrivedAt, QueuedAt: c.leg.QueuedAt}
	// A caller queued at once (an answered callback) gets its open cases' count as soon as it
	// can (prompt); a greeted caller is queued seconds later, and greeted makes the queueing's
	// write prompt if the answer has not come by then (a greeting that fails at once).
	s.journalWriteAs(Write{StartCall: &start}, !start.QueuedAt.IsZero(), func(f Filed, err error) {
		if err == nil {
			s.post(callFiled{call: start.CallID, f: f})
		}
	})
}

// callFiled is the journal's answer to StartCall.
type callFiled struct {
	call string
	f    Filed
}

func (s *Switchboard) onCallFiled(m callFiled) {
	c := s.calls[m.call]
	if c == nil {
		return // gone already; its leg was written all the same
	}
	c.filed = true
	c.openCases = m.f.OpenCases
	if !c.calledBack {
		c.owner = m.f.OwnerID
	}
	s.callLog(c).Debug("call filed", "open_cases", c.openCases, "owner", c.owner)
	if c.state != stateQueued || s.owner(c) == 0 {
		return
	}
	// The lookup came back after the greeting: re-queue with the same join time, so the caller
	// keeps their place (the end of the queue when they joined: an open case is no priority) and
	// their case's owner is preferred when free.
	if w, ok := s.queueEntry(c.id); ok && w.Offered == 0 {
		s.queue.Remove(c.id)
		s.enqueue(c, c.joined)
	}
}

func (s *Switchboard) queueEntry(id string) (routing.Waiting, bool) {
	for _, w := range s.queue.Snapshot(nil) {
		if w.ID == id {
			return w, true
		}
	}
	return routing.Waiting{}, false
}

// greeted: the greeting ended (or could not be played): join the queue or overflow.
func (s *Switchboard) greeted(c *call) {
	if c.state != stateGreeting || c.hungUp {
		return // a caller who hung up during the greeting never joined the queue
	}
	now := s.clock.Now()
	c.playback = ""
	c.leg.GreetingEndAt = now
	if s.router.Rules.Admit(s.waiting()) != routing.NoOverflow {
		s.callLog(c).Info("queue full: overflow", "waiting", s.waiting())
		s.startOverflow(c)
		return
	}
	s.move(c, evGreeted)
	c.joined = now
	c.leg.QueuedAt = now
	s.enqueue(c, now)
	// Not filed yet (the greeting failed at once): the caller may be offered before the journal
	// says who owns their cases; a prompt write ends the journal's linger, StartCall with it.
	leg := c.leg
	s.journalWriteAs(Write{SaveLeg: &leg}, !c.filed, nil)
	s.startMOH(c)
	s.startWaitTimers(c)
}

// startWaitTimers starts a queued caller's position announcements and max-wait overflow.
func (s *Switchboard) startWaitTimers(c *call) {
	if s.cfg.AnnounceInterval > 0 {
		c.announce = s.after(s.cfg.AnnounceInterval, func() { s.announce(c) })
	}
	if s.cfg.Routing.MaxWait > 0 {
		c.maxWait = s.after(s.cfg.Routing.MaxWait, func() { s.waitedTooLong(c) })
	}
}

// waiting counts the callers with a channel in the queue (callbacks hold a place but no line).
func (s *Switchboard) waiting() int { return s.queue.Len() - len(s.callbacks) }

// owner is the operator a caller's case owner preference names (calls.returning_to_owner): none
// when the rule is off, or when the owner is at their limit of cases in work (routing never
// offers them a caller then, so holding the caller for them would be waiting for nothing).
func (s *Switchboard) owner(c *call) int64 {
	if !s.cfg.Routing.PreferOwner || c.owner == 0 {
		return 0
	}
	if op := s.operators[c.owner]; op != nil && op.MaxConcurrent > 0 && op.openCases >= op.MaxConcurrent {
		return 0
	}
	return c.owner
}

func (s *Switchboard) enqueue(c *call, joined time.Time) {
	pos, err := s.queue.Enqueue(routing.Caller{ID: c.id, Number: c.number, Priority: c.priority,
		JoinedAt: joined, Owner: s.owner(c), Topic: c.line.topic, Language: c.line.language})
	if err != nil {
		s.callLog(c).Error("enqueue", "err", err)
		return
	}
	s.callLog(c).Debug("queued", "position", pos, "priority", c.priority)
	s.wakeForRules(c, joined)
}

func (s *Switchboard) startMOH(c *call) {
	if !c.moh {
		c.moh = true
		s.do(c.id, StartMOH{Channel: c.id, Class: s.cfg.MusicClass})
	}
}

func (s *Switchboard) stopMOH(c *call) {
	if c.moh {
		c.moh = false
		s.do(c.id, StopMOH{Channel: c.id})
	}
}

func (s *Switchboard) stopPlayback(c *call) {
	if c.playback != "" {
		delete(s.playbacks, c.playback)
		s.do(c.id, StopPlayback{Playback: c.playback})
		c.playback = ""
	}
}

// announce tells a waiting caller their position and estimated wait, between spells of music.
func (s *Switchboard) announce(c *call) {
	if c.state != stateQueued {
		return
	}
	c.announce = s.after(s.cfg.AnnounceInterval, func() { s.announce(c) })
	if c.offer != nil || c.playback != "" {
		return // an operator's handset rings: do not talk over the music they are about to end
	}
	pos := s.queue.Position(c.id)
	if pos == 0 {
		return
	}
	now := s.clock.Now()
	s.candidates(now)
	staffed, free := s.router.Rules.Staffing(s.cands, now)
	aht := s.handle.Average()
	if aht == 0 {
		aht = s.cfg.DefaultHandleTime + s.cfg.Routing.WrapUp
	}
	wait, ok := routing.EstimateWait(pos, staffed, free, aht)
	media := positionPrompt(pos, wait, ok)
	s.stopMOH(c)
	c.playback = s.play(c.id, c.id, media, func(bool) {
		c.playback = ""
		if c.state == stateQueued {
			s.startMOH(c)
		}
	})
	s.callLog(c).Debug("announced", "position", pos, "estimate", wait, "estimated", ok)
}

// positionPrompt is app_queue's announcement from Asterisk's stock prompts: "you are next" or
// "there are N calls waiting", then "the estimated hold time is M minutes" when known.
func positionPrompt(pos int, wait time.Duration, known bool) []string {
	var m []string
	if pos == 1 {
		m = append(m, "sound:queue-youarenext")
	} else {
		m = append(m, "sound:queue-thereare", fmt.Sprintf("number:%d", pos), "sound:queue-callswaiting")
	}
	if known && wait > 0 {
		mins := int((wait + time.Minute - 1) / time.Minute)
		if mins <= 1 {
			m = append(m, "sound:queue-holdtime", "sound:queue-less-than", "number:1", "sound:queue-minute")
		} else {
			m = append(m, "sound:queue-holdtime", fmt.Sprintf("number:%d", mins), "sound:queue-minutes")
		}
	}
	return append(m, "sound:queue-thankyou")
}

// waitedTooLong: MaxWait is up. An operator's handset ringing gets its chance first.
func (s *Switchboard) waitedTooLong(c *call) {
	if c.state != stateQueued {
		return
	}
	if c.offer != nil {
		c.overdue = true
		return
	}
	s.callLog(c).Info("waited too long: overflow", "waited", s.clock.Now().Sub(c.joined))
	s.startOverflow(c)
}

// startOverflow takes the caller out of the queue and offers a callback or a message: never a
// silent drop.
func (s *Switchboard) startOverflow(c *call) {
	s.queue.Remove(c.id)
	c.announce.stop()
	c.maxWait.stop()
	s.stopPlayback(c)
	s.stopMOH(c)
	s.move(c, evOverflowed)
	if c.joined.IsZero() {
		c.joined = s.clock.Now() // full queue: never joined; a callback still needs a place
	}
	if s.cfg.Overflow == OverflowCallback {
		c.overflow = OverflowCallback
		c.playback = s.play(c.id, c.id, s.cfg.Prompts.CallbackOffer, func(bool) {
			c.playback = ""
			if c.state == stateOverflow && c.overflow == OverflowCallback {
				// Time to key "1" after the offer; silence means a message instead.
				c.digitWait = s.after(5*time.Second, func() { s.leaveMessage(c) })
			}
		})
		return
	}
	s.leaveMessage(c)
}

func (s *Switchboard) leaveMessage(c *call) {
	if c.state != stateOverflow || c.overflow == OverflowMessage {
		return
	}
	c.digitWait.stop()
	s.stopPlayback(c)
	c.overflow = OverflowMessage
	c.playback = s.play(c.id, c.id, s.cfg.Prompts.LeaveMessage, func(bool) {
		c.playback = ""
		if c.state != stateOverflow {
			return
		}
		c.recording = messageRecording(c.id)
		c.leg.RecordingName = c.recording
		s.recs[c.recording] = c
		s.do(c.id, RecordChannel{Channel: c.id, Name: c.recording, Format: s.cfg.RecordingFormat,
			MaxDuration: s.cfg.MaxMessage, TerminateOn: "#"})
		s.callLog(c).Info("recording a message", "recording", c.recording)
	})
}

// takeCallback: the caller keyed 1. They keep their place in the queue without a line; the next
// free operator owns the delayed-answer case.
func (s *Switchboard) takeCallback(c *call) {
	c.digitWait.stop()
	s.stopPlayback(c)
	c.overflow = overflowCallbackTaken
	key := callbackKey(c.id)
	cb := &pendingCallback{key: key, callID: c.id, number: c.leg.CallerNumber, joined: c.joined,
		priority: c.priority, line: c.line, owner: c.owner}
	if err := s.queueCallback(cb); err != nil {
		s.callLog(c).Error("queue callback", "err", err)
	}
	id := c.id
	s.journalWrite(Write{Callback: &CallbackAsked{CallID: id}}, nil)
	s.callLog(c).Info("callback requested; place kept", "position", s.queue.Position(key))
	c.playback = s.play(c.id, c.id, s.cfg.Prompts.CallbackTaken, func(bool) { s.hangup(c) })
}

// hangup hangs the caller up; the end is handled when the channel goes.
func (s *Switchboard) hangup(c *call) {
	if c.state == stateHangingUp || !s.move(c, evHangUp) {
		return // asked once already, or the call is over
	}
	c.playback = ""
	s.do(c.id, Hangup{Channel: c.id, Reason: "normal"})
}

// onRecordingEnd: a caller's message is stored (or failed), or a bridge recording stopped.
func (s *Switchboard) onRecordingEnd(name, failure string) {
	c := s.recs[name]
	if c == nil {
		return
	}
	delete(s.recs, name)
	if failure != "" {
		s.callLog(c).Warn("recording failed", "recording", name, "cause", failure)
		c.leg.RecordingName = ""
		if _, live := s.calls[c.id]; !live {
			s.saveLeg(c) // ended already: correct the row
		}
	}
	if c.overflow == OverflowMessage && failure == "" && !c.messageLeft {
		// Stored, also when the caller hung up to end it (the call may have ended already).
		id := c.id
		s.journalWrite(Write{Message: &MessageLeft{CallID: id}}, nil)
		c.messageLeft = true
	}
	if c.state == stateOverflow && c.overflow == OverflowMessage {
		c.playback = s.play(c.id, c.id, s.cfg.Prompts.MessageSaved, func(bool) { s.hangup(c) })
	}
}

// endCall closes the caller's side: whatever was under way stops, the leg is written.
func (s *Switchboard) endCall(c *call, end hotline.LegEnd) {
	if _, ok := s.calls[c.id]; !ok {
		return
	}
	delete(s.calls, c.id)
	s.forgetRecording(c)
	s.supervisionEndsWith(c, nil, "the call ended")
	now := s.clock.Now()
	c.announce.stop()
	c.maxWait.stop()
	c.digitWait.stop()
	if c.playback != "" {
		delete(s.playbacks, c.playback)
	}
	s.queue.Remove(c.id)
	if o := c.offer; o != nil && !o.answered {
		stop := hotline.RingCallerGone
		if end != hotline.LegAbandoned {
			stop = hotline.RingWithdrawn // hotline ended the call (an error, Asterisk gone)
		}
		s.cancelOffer(o, stop, "caller hung up")
	}
	c.leg.EndedAt = now
	c.leg.End = end
	s.metrics.CallEnded(end, c.leg.QueueWait())
	outcome := s.outcome(c)
	leg := c.leg
	s.journalWrite(Write{SaveLeg: &leg, Outcome: outcome}, nil)
	// The call's one line at info: who called, who answered, how it ended. The steps before it
	// (arrived, filed, queued, offered, bridged) are at debug: the journal keeps each moment.
	s.callLog(c).Info("call ended", "from", c.number, "extension", extensionOfOffer(c), "end", end, "hung_up_by", c.leg.HungUpBy,
		"outcome", outcome, "state", c.state, "queue_wait", c.leg.QueueWait(), "talk", c.leg.TalkTime(), "recording", c.leg.RecordingName)
	s.move(c, evGone)
	if o := c.offer; o != nil && o.answered {
		// Whatever ended the call (a hang-up, a refused bridge, a lost channel), the operator
		// it was answered by moves on to wrap-up; callEnded does nothing if they already have.
		s.callEnded(o)
	}
}

// extensionOfOffer is the extension of the operator the call was last offered to; "" if none.
func extensionOfOffer(c *call) string {
	if c.offer == nil {
		return ""
	}
	return c.offer.op.Extension
}

// overflowCallbackTaken is call.overflow once the caller keyed 1.
const overflowCallbackTaken = "callback-taken"

// outcome is how call c ended as a whole, from where it was when it ended.
func (s *Switchboard) outcome(c *call) hotline.CallOutcome {
	switch {
	case c.answered || !c.leg.AnsweredAt.IsZero():
		return hotline.OutcomeAnswered
	case c.overflow == overflowCallbackTaken:
		return hotline.OutcomeOverflowCallback
	case c.messageLeft, c.overflow == OverflowMessage && c.recording != "":
		return hotline.OutcomeOverflowMessage
	case c.state == stateHandedOver:
		return hotline.OutcomeHandedOver
	case c.leg.End == hotline.LegFailed:
		return hotline.OutcomeFailed
	case c.overflow != "" || c.state == stateOverflow:
		return hotline.OutcomeAbandonedOverflow
	case c.state == stateGreeting || (c.state != stateQueued && c.leg.QueuedAt.IsZero()):
		return hotline.OutcomeAbandonedGreeting
	case c.state == stateQueued || c.leg.End == hotline.LegAbandoned:
		return hotline.OutcomeAbandonedQueue
	}
	return hotline.OutcomeFailed
}

func (s *Switchboard) saveLeg(c *call) {
	leg := c.leg
	s.journalWrite(Write{SaveLeg: &leg}, nil)
}

// onChannelGone: a channel left the application or was destroyed. Either may come first; the
// second finds nothing to do.
//
// Who owns the channel decides. A transfer under way comes first, then a cut by Asterisk
// (cut.go), then the ordinary end; a cut mark on a channel that is no caller's or offer's is only
// dropped, and one on a transfer target's handset (never set) is left.
func (s *Switchboard) onChannelGone(ch string, cause int) {
	defer delete(s.cutCause, ch) // read, if at all, by cutChannelGone below
	s.tornDown(ch)
	switch own := s.ownerOf(ch); own.kind {
	case ownedByTransfer:
		s.transferChannelGone(ch, cause)
	case ownedByCaller:
		if s.transferChannelGone(ch, cause) || s.cutChannelGone(ch, cause) {
			return
		}
		if c := s.calls[ch]; c != nil { // again: a transfer's end may have changed it
			s.callerGone(c)
		}
	case ownedByOffer:
		if s.transferChannelGone(ch, cause) || s.cutChannelGone(ch, cause) {
			return
		}
		s.operatorChannelGone(own.offer, cause)
	case ownedByConsult:
		delete(s.cut, ch)
		s.consultGone(ch)
	case ownedByCallback:
		delete(s.cut, ch)
		s.callbackChannelGone(ch, cause)
	case ownedByFeature:
		delete(s.cut, ch)
		delete(s.features, ch)
	case ownedBySupervision:
		delete(s.cut, ch)
		s.supervisionChannelGone(own.sv, ch, cause)
	case ownedByWrapUp:
		delete(s.cut, ch)
		for _, op := range s.operators {
			if op.wrapChannel == ch {
				op.wrapChannel = ""
			}
		}
	case ownedByNone:
		delete(s.cut, ch)
	}
}

func (s *Switchboard) callerGone(c *call) {
	switch c.state {
	case stateGreeting, stateQueued:
		s.endCall(c, hotline.LegAbandoned)
	case stateOverflow, stateHandedOver:
		s.endCall(c, hotline.LegOverflow)
	case stateBridged:
		c.leg.HungUpBy = hotline.SideCaller
		s.endCall(c, hotline.LegCompleted)
	case stateHangingUp:
		switch {
		case c.overflow != "":
			s.endCall(c, hotline.LegOverflow)
		case c.leg.End != "":
			s.endCall(c, c.leg.End)
		case !c.leg.AnsweredAt.IsZero():
			s.endCall(c, hotline.LegCompleted)
		default:
			s.endCall(c, hotline.LegFailed)
		}
	}
}

// fail ends a call that cannot go on (Asterisk refused a request): hang up, say why in the leg.
func (s *Switchboard) fail(c *call, why string, err error) {
	s.callLog(c).Error("call failed", "why", why, "err", err)
	c.leg.End = hotline.LegFailed
	if o := c.offer; o != nil {
		if o.answered {
			s.do(c.id, Hangup{Channel: o.channel, Reason: "normal"})
		} else {
			s.cancelOffer(o, hotline.RingWithdrawn, why)
		}
	}
	s.hangup(c)
}

// opResult reacts to a failed request; successes need nothing: their effects arrive as events.
func (s *Switchboard) opResult(key string, op Op, err error) {
	if rec, ok := op.(RecordCall); ok {
		s.recordCallAnswered(rec, err)
		return
	}
	if err == nil {
		return
	}
	if sv := s.supervisors[key]; sv != nil && sv.channel == key {
		s.supervisionFailed(sv, op, err)
		return
	}
	c := s.calls[key]
	log := s.log.With("call", key)
	if c != nil {
		log = s.callLog(c)
	}
	switch op := op.(type) {
	case Answer:
		if c != nil {
			s.fail(c, "answer", err)
		}
	case Play:
		// A missing sound must not strand the caller: go on as if it had played.
		log.Warn("playback failed", "playback", op.Playback, "media", op.Media, "err", err)
		if f, ok := s.playbacks[op.Playback]; ok {
			delete(s.playbacks, op.Playback)
			f(true)
		}
	case Originate:
		s.originateFailed(op, log, err)
	case CreateBridge, AddToBridge:
		if c != nil && c.state == stateBridged {
			s.fail(c, "bridge", err)
		}
	case RecordChannel:
		log.Warn("message recording did not start", "recording", op.Name, "err", err)
		delete(s.recs, op.Name)
		if c != nil {
			c.leg.RecordingName = ""
			s.hangup(c)
		}
	case Hangup, StopPlayback, StopMOH, DestroyBridge, StopRecording:
		log.Debug("request failed (channel likely gone)", "op", op.String(), "err", err)
	default:
		log.Warn("request failed", "op", op.String(), "err", err)
	}
}

// recordCallAnswered: Asterisk's answer to a RecordCall. The recording is looked up by its name,
// not by the call's key: the call may have ended (and left s.calls) before the answer came, and
// its leg, already written naming the recording, must then be written again without it.
func (s *Switchboard) recordCallAnswered(op RecordCall, err error) {
	delete(s.recAsked, op.Name)
	c := s.recs[op.Name]
	if c == nil {
		return
	}
	_, live := s.calls[c.id]
	if err == nil {
		if !live || c.recording != op.Name {
			delete(s.recs, op.Name) // forgetRecording kept it for this answer
		}
		return
	}
	// Recording never holds up the call: talk on, note the case has none.
	s.callLog(c).Warn("recording did not start", "recording", op.Name, "err", err)
	delete(s.recs, op.Name)
	if c.recorder == op.Name {
		c.recorder, c.recorderOn = "", ""
	}
	if c.recording != op.Name {
		// The leg it was for is over (a transfer began the next): its row keeps the name of a
		// recording that does not exist (its player finds no file).
		s.callLog(c).Warn("an earlier leg's recording did not start; its row names it", "recording", op.Name)
		return
	}
	c.recording = ""
	c.leg.RecordingName = ""
	if !live {
		s.saveLeg(c) // ended already: correct the row
	}
}

// originateFailed: Asterisk refused to dial a channel; whose it was says what goes on instead.
func (s *Switchboard) originateFailed(op Originate, log *slog.Logger, err error) {
	switch own := s.ownerOf(op.Channel); own.kind {
	case ownedByConsult:
		s.consultOriginateFailed(own.consult, op, err)
	case ownedByTransfer:
		s.transferOriginateFailed(own.transfer, op, err)
	case ownedByCallback:
		s.callbackOriginateFailed(own.callback, err)
	case ownedByOffer:
		log.Warn("originate failed", "endpoint", op.Endpoint, "err", err)
		delete(s.offers, op.Channel) // no channel will ever exist
		s.noAnswer(own.offer, hotline.RingNotPlaced, s.clock.Now(), "originate failed", false)
	}
}

// onDTMF: a caller choosing a callback, or an operator keying a topic.
func (s *Switchboard) onDTMF(m DTMF) {
	s.log.Debug("dtmf", "channel", m.Channel, "digit", m.Digit)
	switch own := s.ownerOf(m.Channel); own.kind {
	case ownedByCaller:
		if c := own.call; c.state == stateOverflow && c.overflow == OverflowCallback && m.Digit == "1" {
			s.takeCallback(c)
		}
	case ownedByOffer:
		if own.offer.answered {
			s.keyTopic(own.op, m.Channel, m.Digit)
		}
	case ownedByWrapUp:
		s.keyTopic(own.op, m.Channel, m.Digit)
	}
}

// onInventory ends the calls, live when the connection dropped, whose channels Asterisk no longer
// has (it restarted, or their ends were lost with the connection). Only those: a call that arrived
// after the reconnection may be missing from a listing made before it.
func (s *Switchboard) onInventory(m Inventory) {
	have := make(map[string]bool, len(m.Channels))
	for _, ch := range m.Channels {
		have[ch] = true
	}
	suspect := s.suspect
	s.suspect = nil
	for id, c := range s.calls {
		if have[id] || !suspect[id] {
			continue
		}
		s.callLog(c).Warn("channel gone while disconnected")
		// Ended away: Asterisk (or, with several nodes, the caller's node) was lost, and when the
		// channel went is not known.
		c.leg.End, c.leg.EndedAway = hotline.LegFailed, true
		s.endCall(c, hotline.LegFailed)
	}
	for ch, o := range s.offers {
		if !have[ch] && suspect[o.call.id] && (o.answered || o.done) {
			s.operatorChannelGone(o, 0)
		}
	}
	// A consultation whose channels went while Asterisk was away: without this the colleague
	// would stay busy.
	for ch := range s.consults {
		if !have[ch] && suspect[ch] {
			s.log.Warn("consultation gone while disconnected", "channel", ch)
			s.consultGone(ch)
		}
	}
	for ch := range s.dialing {
		if !have[ch] && suspect[ch] {
			s.log.Warn("callback's call gone while disconnected", "channel", ch)
			s.callbackChannelGone(ch, 0)
		}
	}
	known := 0
	for _, ch := range m.Channels {
		if s.calls[ch] != nil || s.offers[ch] != nil || s.features[ch] != nil {
			known++
		}
	}
	if n := len(m.Channels) - known; n > 0 {
		s.log.Warn("channels in the application that the switchboard does not know: not adopted", "count", n)
	}
}
