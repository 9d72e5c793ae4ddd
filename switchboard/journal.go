package switchboard

import (
	"context"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/outbox"
)

// Journal is what the switchboard needs from the case journal: every method is required, so a
// journal cannot lose reconciliation, callbacks or limits by lacking one (journaladapter.Journal
// is checked against it at compile time). Every method may block on the disk; the switchboard
// calls them through its outbox (package outbox), never on the loop, one at a time, in the order
// the loop asked for them. Legs are identified by the call's id (the caller's Asterisk channel
// id), which the loop knows from the first event, so no write waits for another's result.
type Journal interface {
	// Operators returns the operators in service, to match handsets (Extension) to operators.
	Operators(ctx context.Context) ([]hotline.Operator, error)
	// LastPresence returns each operator's latest presence event, to restore after a restart.
	LastPresence(ctx context.Context) ([]hotline.PresenceEvent, error)
	// Write applies one change the call flow makes (Write). A write with a Mark is applied once
	// per mark: a replay of a mark the journal has applied before (after a crash, from the
	// write-ahead spool) writes nothing and returns outbox.ErrAlreadyApplied.
	Write(ctx context.Context, w Write) (Filed, error)
	// OpenLegs lists the legs that never ended (journal.Store.OpenLegs): at start, the calls a
	// previous run left are reconciled with what Asterisk still holds (reconcile.go).
	OpenLegs(ctx context.Context) ([]hotline.Leg, error)
	// WaitingCallbacks lists the callbacks no operator has been given yet: each the leg that ended
	// at overflow when the caller keyed 1. At start they queue again at their places (callback.go).
	WaitingCallbacks(ctx context.Context) ([]hotline.Leg, error)
	// OpenCaseCounts counts each operator's cases in work, for their MaxConcurrent (limits.go).
	OpenCaseCounts(ctx context.Context) (map[int64]int, error)
	// AnsweredSince counts the calls each operator answered since a time: read once at the start,
	// so "calls today" (the fewest-calls strategy, the live status) does not restart at 0 with the
	// daemon (limits.go).
	AnsweredSince(ctx context.Context, since time.Time) (map[int64]int, error)
	// Specialists is the answer to "who takes this topic": the active level-2 specialists the
	// scripts of the topic with handset number topicNumber recommend, by operator id, in order of
	// preference (transfer.go).
	Specialists(ctx context.Context, topicNumber int) ([]int64, error)
}

// applier is the Journal as the outbox applies writes to it: the mark travels in the Write.
type applier struct{ jr Journal }

func (a applier) Apply(ctx context.Context, w Write, m outbox.Mark) (Filed, error) {
	w.Mark = m
	return a.jr.Write(ctx, w)
}

// Claim is a Write with the mark and no part: the journal records the mark alone.
func (a applier) Claim(ctx context.Context, m outbox.Mark) error {
	_, err := a.jr.Write(ctx, Write{Mark: m})
	return err
}

// batchApplier is the applier of a Journal that can apply several writes in one transaction
// (journaladapter.Journal): the outbox applies the writes waiting together (group commit).
type batchApplier struct {
	applier
	outbox.Batcher
}

// loggedApplier is the applier of a Journal whose batches of spooled writes can leave their
// durability to the spool (journaladapter.Journal: SQLite commits them without an fsync, and
// the spool is kept until the journal's Sync).
type loggedApplier struct {
	applier
	outbox.LoggedBatcher
}

// NewApplier returns what the switchboard's outbox applies its writes to (exported for the
// writer's tests and benchmarks): a loggedApplier or a batchApplier when jr is an
// outbox.LoggedBatcher or an outbox.Batcher.
func NewApplier(jr Journal) outbox.Journal[Write, Filed] {
	if b, ok := jr.(outbox.LoggedBatcher); ok {
		return loggedApplier{applier{jr}, b}
	}
	if b, ok := jr.(outbox.Batcher); ok {
		return batchApplier{applier{jr}, b}
	}
	return applier{jr}
}

// retryable reports whether a failed journal read may succeed if tried again (outbox.Retryable).
func retryable(err error) bool { return outbox.Retryable(err) }

// A Write is one change the call flow makes in the journal, as data rather than a call, so that it
// can wait on disk in the write-ahead spool until the journal has applied it: a crash, a restart or
// a journal that fails for a while loses none. Exactly one of the parts is set. The call flow
// writes calls; it opens a case only where a person or the delayed-answer rule says so (Topic,
// Callback, Message).
type Write struct {
	// Mark is where the write waits in the spool (zero: it is not spooled). Set by the outbox. A
	// Write with a Mark and no part records the mark alone: the outbox's way of saying that the
	// write of that mark was refused, so a replay must skip it too.
	Mark outbox.Mark `json:"-"`

	// StartCall records a call's arrival and its first leg; the Filed answer says what the
	// journal knows of the caller (their open cases' owner). It opens no case.
	StartCall *CallStart `json:"start_call,omitempty"`
	// SaveLeg updates the newest leg of call CallID: times, operator, recording and, once ended,
	// how; a leg transferred (TransferredFrom) to another operator after the stored one ended is a
	// new leg of the call. When the leg ends the call, Outcome says how the call ended.
	SaveLeg *hotline.Leg        `json:"save_leg,omitempty"`
	Outcome hotline.CallOutcome `json:"outcome,omitempty"` // with SaveLeg of the call's last leg
	// Topic records the topic an operator keyed for the call: on the case of the call they work,
	// or on a new case of theirs for it.
	Topic *TopicKeyed `json:"topic,omitempty"`
	// Callback: the caller of call CallID keyed 1 at overflow (OperatorID 0): a delayed answer is
	// opened by the journal's rule; or the callback reached its turn and OperatorID calls back.
	Callback *CallbackAsked `json:"callback,omitempty"`
	// Message: the caller of call CallID left a voice message at overflow: a delayed answer is
	// opened by the journal's rule.
	Message *MessageLeft `json:"message,omitempty"`
	// Connected: hotline dialled a caller back (call CallID) and OperatorID talks to them.
	Connected *CallbackConnected `json:"connected,omitempty"`
	// Presence appends a change of an operator's standing presence (login, logout, pause, resume,
	// handset unreachable) to their presence history.
	Presence *hotline.PresenceEvent `json:"presence,omitempty"`
	// Forward: an operator keyed «*26» after a transfer of the call.
	Forward *CaseForwarded `json:"forward,omitempty"`
	// CaseCallback: a call-back asked from the workplace for a case (Switchboard.CallBack) was
	// dialled, answered (the call is put on the case) or not answered: noted in the case's history.
	CaseCallback *CaseCallback `json:"case_callback,omitempty"`
	// Ring: an offer of the call to an operator ended unanswered (queue_log's RINGNOANSWER and
	// RINGCANCELED); the journal files it on the call's newest leg.
	Ring *hotline.RingAttempt `json:"ring,omitempty"`
	// Supervised: an administrator began listening to call CallID, changed how, or stopped
	// (supervise.go): written in the call's history.
	Supervised *Supervised `json:"supervised,omitempty"`
	// Cut: Asterisk cut call CallID (its leg ends "failed"): written in the call's history with
	// the side and the cause.
	Cut *CallCut `json:"cut,omitempty"`
}

// CallCut: Asterisk hung up a channel of call CallID by itself (a restart, a softphone whose media
// stopped: rtp_timeout): Side is whose channel, Cause the Q.850 cause of its hangup request.
type CallCut struct {
	CallID string          `json:"call_id"`
	Side   hotline.LegSide `json:"side"`
	Cause  int             `json:"cause,omitempty"`
}

// Supervised: administrator By, on their device Extension, listens to operator OperatorID's
// conversation on call CallID in mode What (listen, whisper, barge), or the session ended
// (SupervisionEnded, Why says why).
type Supervised struct {
	CallID     string `json:"call_id"`
	OperatorID int64  `json:"operator_id"`
	By         string `json:"by"`
	Extension  string `json:"extension,omitempty"`
	What       string `json:"what"`
	Why        string `json:"why,omitempty"`
}

// CallStart is a call's arrival. The names of its JSON fields are those of hotline.Leg's, so a
// spool written by an earlier version (which filed a leg) replays.
type CallStart struct {
	CallID       string    `json:"call_id"`
	CallerNumber string    `json:"caller_number,omitempty"` // as Asterisk gave it
	Line         string    `json:"line,omitempty"`          // the hotline number dialled
	CallbackFor  string    `json:"callback_for,omitempty"`  // hotline dialled this caller back for that call
	ArrivedAt    time.Time `json:"arrived_at"`
	QueuedAt     time.Time `json:"queued_at,omitzero"` // a called-back caller queues at once
}

// TopicKeyed: an operator keyed topic number Topic (hotline.Topic.Number) for call CallID.
type TopicKeyed struct {
	CallID     string `json:"call_id"`
	OperatorID int64  `json:"operator_id"`
	Topic      int    `json:"topic"`
}

// CallbackAsked: the caller of call CallID asked to be called back (OperatorID 0), or the
// callback was given to OperatorID at its turn.
type CallbackAsked struct {
	CallID     string `json:"call_id"`
	OperatorID int64  `json:"operator_id,omitempty"`
}

// MessageLeft: the caller of call CallID left a voice message.
type MessageLeft struct {
	CallID string `json:"call_id"`
}

// CallbackConnected: hotline dialled a caller back on call CallID and OperatorID answered.
type CallbackConnected struct {
	CallID     string `json:"call_id"`
	OperatorID int64  `json:"operator_id"`
}

// CaseForwarded: operator By keyed «*26» after transferring call CallID to To; Reached says
// whether To answered (the case is handed to them) or not (closed «forwarded with notice», a
// delayed answer of To). CaseID is what spools of earlier versions carry instead of CallID.
type CaseForwarded struct {
	CallID  string `json:"call_id,omitempty"`
	CaseID  int64  `json:"case_id,omitempty"`
	By      int64  `json:"by"`
	To      int64  `json:"to"`
	Reached bool   `json:"reached,omitempty"`
}

// What a workplace call-back came to (CaseCallback.What).
const (
	CaseCallbackDialled     = "dialled"      // hotline dials the person for the operator
	CaseCallbackAnswered    = "answered"     // the person answered: CallID is their call
	CaseCallbackNotAnswered = "not answered" // no answer, busy, or the dialling failed (Why)
)

// CaseCallback: hotline dialled Number for OperatorID from case CaseID (asked by the login By), and
// what came of it. CallID is the dialled channel: once answered, the call filed for the person.
type CaseCallback struct {
	CaseID     int64  `json:"case_id"`
	OperatorID int64  `json:"operator_id"`
	Number     string `json:"number"`
	CallID     string `json:"call_id,omitempty"`
	What       string `json:"what"`
	Why        string `json:"why,omitempty"`
	By         string `json:"by,omitempty"`
}

// Kind names the part of w that is set, for logs; "" if none is (outbox.Entry).
func (w Write) Kind() string {
	switch {
	case w.StartCall != nil:
		return "start call"
	case w.SaveLeg != nil:
		return "save leg"
	case w.Topic != nil:
		return "set topic"
	case w.Callback != nil:
		return "callback"
	case w.Message != nil:
		return "voice message"
	case w.Connected != nil:
		return "callback connected"
	case w.Presence != nil:
		return "record presence"
	case w.Forward != nil:
		return "forward case"
	case w.CaseCallback != nil:
		return "case call-back"
	case w.Ring != nil:
		return "ring attempt"
	case w.Supervised != nil:
		return "supervision"
	case w.Cut != nil:
		return "call cut"
	}
	return ""
}

// changesCases reports whether w may open a case or change its owner: operators' counts of cases
// in work (limits.go) are read again after it.
func (w Write) changesCases() bool {
	return w.Topic != nil || w.Callback != nil || w.Message != nil || w.Connected != nil || w.Forward != nil
}

// Call is the call w is about, for logs (outbox.Entry).
func (w Write) Call() string {
	switch {
	case w.StartCall != nil:
		return w.StartCall.CallID
	case w.SaveLeg != nil:
		return w.SaveLeg.CallID
	case w.Topic != nil:
		return w.Topic.CallID
	case w.Callback != nil:
		return w.Callback.CallID
	case w.Message != nil:
		return w.Message.CallID
	case w.Connected != nil:
		return w.Connected.CallID
	case w.Forward != nil:
		return w.Forward.CallID
	case w.CaseCallback != nil:
		return w.CaseCallback.CallID
	case w.Ring != nil:
		return w.Ring.CallID
	case w.Supervised != nil:
		return w.Supervised.CallID
	case w.Cut != nil:
		return w.Cut.CallID
	}
	return ""
}

// Filed is the journal's answer to StartCall (the zero value for other writes).
type Filed struct {
	// OwnerID: the active operator who owns the caller's newest open case; 0: none.
	OwnerID   int64
	OpenCases int // the caller's cases «В работе» or «Отсроченный ответ»
}
