package hotline

import "time"

// A call is what Asterisk gives the hotline: one caller's channel from its arrival to its end, with
// the waits and the legs it went through. A case (Case) is what a person registers about one or
// more calls. The call flow writes calls; people open cases. A call belongs to zero or more cases
// (CaseCall), so an abandoned call, a wrong number or a call nobody registered counts as a call and
// never as a case.

// CallOutcome is how a call ended as a whole.
type CallOutcome string

const (
	OutcomeAnswered          CallOutcome = "answered"           // an operator talked to the caller
	OutcomeAbandonedGreeting CallOutcome = "abandoned_greeting" // the caller hung up during the greeting
	OutcomeAbandonedQueue    CallOutcome = "abandoned_queue"    // the caller hung up while waiting in the queue
	OutcomeAbandonedOverflow CallOutcome = "abandoned_overflow" // out of the queue, the caller hung up before choosing a callback or a message
	OutcomeOverflowMessage   CallOutcome = "overflow_message"   // out of the queue, the caller left a voice message
	OutcomeOverflowCallback  CallOutcome = "overflow_callback"  // out of the queue, the caller keyed 1 to be called back
	OutcomeHandedOver        CallOutcome = "handed_over"        // sent back to the dialplan's fallback unanswered (hotline was stopping)
	OutcomeFailed            CallOutcome = "failed"             // never answered: an error, or Asterisk lost the call
)

// CallOutcomes lists every outcome, in the order of a call's life.
var CallOutcomes = []CallOutcome{OutcomeAnswered, OutcomeAbandonedGreeting, OutcomeAbandonedQueue, OutcomeAbandonedOverflow,
	OutcomeOverflowMessage, OutcomeOverflowCallback, OutcomeHandedOver, OutcomeFailed}

// Valid reports whether o is a known outcome.
func (o CallOutcome) Valid() bool {
	for _, k := range CallOutcomes {
		if o == k {
			return true
		}
	}
	return false
}

// Call is one call to the hotline as the journal keeps it.
type Call struct {
	ID      int64  `json:"id"`
	Channel string `json:"channel"` // Asterisk's channel id of the caller; its legs' CallID
	// CallerNumber is E.164 (PhoneRegion.Normalize) when CallerValid, else the caller id exactly as
	// Asterisk gave it (an extension, "anonymous"), kept and flagged rather than dropped.
	CallerNumber string `json:"caller_number,omitempty"`
	CallerValid  bool   `json:"caller_valid"`
	Line         string `json:"line,omitempty"`         // the hotline number dialled (the dialplan's extension), e.g. "100"
	CallbackFor  string `json:"callback_for,omitempty"` // a call hotline dialled: the channel of the call that asked for it

	ArrivedAt     time.Time   `json:"arrived_at"`
	GreetingEndAt time.Time   `json:"greeting_end_at,omitzero"`
	QueuedAt      time.Time   `json:"queued_at,omitzero"`
	RangAt        time.Time   `json:"rang_at,omitzero"`     // when the handset of the first operator who answered began to ring
	AnsweredAt    time.Time   `json:"answered_at,omitzero"` // the first operator's answer
	EndedAt       time.Time   `json:"ended_at,omitzero"`
	OperatorID    int64       `json:"operator_id,omitempty"` // the first operator who answered
	Outcome       CallOutcome `json:"outcome,omitempty"`     // "" while the call lasts
	// EndedAway: the call ended while hotline was not connected to Asterisk; EndedAt is when hotline
	// found it gone, not the hang-up.
	EndedAway bool `json:"ended_away,omitempty"`

	Legs  []Leg   `json:"legs,omitempty"`  // in the order they began (when read with them)
	Cases []int64 `json:"cases,omitempty"` // the cases it belongs to (when read with them)
}

// QueueWait is how long the caller waited in the queue before the first answer (or before the
// call ended, unanswered).
func (c Call) QueueWait() time.Duration {
	return Leg{QueuedAt: c.QueuedAt, AnsweredAt: c.AnsweredAt, EndedAt: c.EndedAt}.QueueWait()
}

// LegEnd is how one leg of a call ended.
type LegEnd string

const (
	LegCompleted   LegEnd = "completed"   // talked, then one side hung up
	LegAbandoned   LegEnd = "abandoned"   // the caller hung up while waiting
	LegOverflow    LegEnd = "overflow"    // the queue was too long or the wait too long: message or callback
	LegTransferred LegEnd = "transferred" // handed to another operator
	LegFailed      LegEnd = "failed"      // could not be connected (error, Asterisk restart...)
)

// Leg is one part of a call: the caller's time in the queue and with one operator. A transfer ends
// a leg and begins the next.
type Leg struct {
	ID     int64  `json:"id"`
	CallID string `json:"call_id,omitempty"` // the call's channel (Call.Channel)
	// CallerNumber is the call's caller id as Asterisk gave it, carried with the first leg so the
	// journal can file the call; it is stored on the call, not the leg.
	CallerNumber    string    `json:"caller_number,omitempty"`
	OperatorID      int64     `json:"operator_id,omitempty"` // who answered; 0: nobody
	ArrivedAt       time.Time `json:"arrived_at"`
	GreetingEndAt   time.Time `json:"greeting_end_at,omitzero"`
	QueuedAt        time.Time `json:"queued_at,omitzero"`
	RangAt          time.Time `json:"rang_at,omitzero"` // when the handset of the operator who answered began to ring
	AnsweredAt      time.Time `json:"answered_at,omitzero"`
	EndedAt         time.Time `json:"ended_at,omitzero"`
	End             LegEnd    `json:"end,omitempty"`
	RecordingName   string    `json:"recording_name,omitempty"`   // Asterisk's stored recording name
	TransferredFrom int64     `json:"transferred_from,omitempty"` // the operator who transferred this leg in; 0: from the queue
	// EndedAway: the leg ended while hotline was not connected to Asterisk; EndedAt is when hotline
	// found it gone.
	EndedAway bool `json:"ended_away,omitempty"`
	// HungUpBy: on a completed leg, which side hung up first (app_queue's COMPLETECALLER or
	// COMPLETEAGENT); "" on other legs and on legs recorded before the journal kept it.
	HungUpBy LegSide `json:"hung_up_by,omitempty"`
	// OperatorChannel is the answering operator's Asterisk channel id (its uniqueid): app_queue's
	// CONNECT names the bridged channel with it.
	OperatorChannel string `json:"operator_channel,omitempty"`
	// TransferBridge, on a leg that ended transferred by a consultation (attended) transfer: the
	// Asterisk bridge the caller was moved into, where the consulted operator waited ("" for a
	// blind transfer): app_queue's ATTENDEDTRANSFER names it (BRIDGE|<id>).
	TransferBridge string `json:"transfer_bridge,omitempty"`
}

// LegSide names one side of an answered leg.
type LegSide string

const (
	SideCaller   LegSide = "caller"
	SideOperator LegSide = "operator"
)

// EndsCall reports whether a leg that ended so is the call's last: only a transfer goes on.
func (l Leg) EndsCall() bool { return l.End != "" && l.End != LegTransferred }

// QueueWait is how long the caller waited in the queue on this leg (until answered, or until the
// leg ended if never answered).
func (l Leg) QueueWait() time.Duration {
	if l.QueuedAt.IsZero() {
		return 0
	}
	end := l.AnsweredAt
	if end.IsZero() {
		end = l.EndedAt
	}
	if end.IsZero() || end.Before(l.QueuedAt) {
		return 0
	}
	return end.Sub(l.QueuedAt)
}

// RingTime is how long the answering operator's handset rang on this leg.
func (l Leg) RingTime() time.Duration {
	if l.RangAt.IsZero() || l.AnsweredAt.Before(l.RangAt) {
		return 0
	}
	return l.AnsweredAt.Sub(l.RangAt)
}

// TalkTime is how long the caller and operator were connected on this leg.
func (l Leg) TalkTime() time.Duration {
	if l.AnsweredAt.IsZero() || l.EndedAt.IsZero() || l.EndedAt.Before(l.AnsweredAt) {
		return 0
	}
	return l.EndedAt.Sub(l.AnsweredAt)
}

// OutcomeOf derives a call's outcome from its legs, for calls whose end did not say (journals and
// spooled writes from before calls had outcomes): answered if any leg was; otherwise what the last
// leg's end says, callback telling a callback from a message at overflow.
func OutcomeOf(legs []Leg, callback bool) CallOutcome {
	if len(legs) == 0 {
		return ""
	}
	for _, l := range legs {
		if !l.AnsweredAt.IsZero() {
			return OutcomeAnswered
		}
	}
	last := legs[len(legs)-1]
	switch last.End {
	case LegAbandoned:
		if last.QueuedAt.IsZero() {
			return OutcomeAbandonedGreeting
		}
		return OutcomeAbandonedQueue
	case LegOverflow:
		switch {
		case callback:
			return OutcomeOverflowCallback
		case last.RecordingName != "":
			return OutcomeOverflowMessage
		}
		return OutcomeAbandonedOverflow
	case LegCompleted:
		return OutcomeAnswered
	case LegFailed, LegTransferred:
		return OutcomeFailed
	}
	return ""
}

// RingStop is why an offer to an operator stopped ringing without being answered.
type RingStop string

const (
	RingTimedOut   RingStop = "timeout"     // nobody picked up before the ring timeout
	RingDeclined   RingStop = "declined"    // the handset hung up: rejected, busy or unreachable
	RingCallerGone RingStop = "caller_gone" // the caller hung up while it rang
	RingWithdrawn  RingStop = "withdrawn"   // the call moved on (it failed, or left for the dialplan)
	RingNotPlaced  RingStop = "not_placed"  // the handset could not be dialled at all
)

// Valid reports whether r is one of the RingStop values.
func (r RingStop) Valid() bool {
	switch r {
	case RingTimedOut, RingDeclined, RingCallerGone, RingWithdrawn, RingNotPlaced:
		return true
	}
	return false
}

// RingAttempt is an offer of a call to an operator that was not answered: app_queue's
// RINGNOANSWER and RINGCANCELED are written from it.
type RingAttempt struct {
	LegID      int64     `json:"leg_id,omitempty"` // set by the journal: the call's newest leg when recorded
	CallID     string    `json:"call_id"`
	OperatorID int64     `json:"operator_id"`
	RangAt     time.Time `json:"rang_at"`    // when the handset was asked to ring
	StoppedAt  time.Time `json:"stopped_at"` // when the offer ended
	Why        RingStop  `json:"why"`
}

// Validate checks what the journal needs of a ring attempt.
func (r RingAttempt) Validate() error {
	switch {
	case r.CallID == "":
		return Errorf(EINVALID, "a ring attempt without a call")
	case r.OperatorID <= 0:
		return Errorf(EINVALID, "a ring attempt without an operator")
	case r.RangAt.IsZero() || r.StoppedAt.Before(r.RangAt):
		return Errorf(EINVALID, "a ring attempt must stop after it began")
	case !r.Why.Valid():
		return Errorf(EINVALID, "unknown reason a ring stopped: %q", string(r.Why))
	}
	return nil
}
