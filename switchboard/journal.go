package switchboard

import (
	"context"
	"errors"

	"github.com/hotline-dev/hotline"
)

// Journal is what the switchboard needs from the case journal. Every method may block on the disk;
// the switchboard calls them from its writer goroutines, never on the loop, one at a time, in the
// order the loop asked for them. Legs are identified by the call's id (the caller's Asterisk
// channel id), which the loop knows from the first event, so no write waits for another's result.
type Journal interface {
	// Operators returns the operators in service, to match handsets (Extension) to operators.
	Operators(ctx context.Context) ([]hotline.Operator, error)
	// LastPresence returns each operator's latest presence event, to restore after a restart.
	LastPresence(ctx context.Context) ([]hotline.PresenceEvent, error)
	// Write applies one change the call flow makes (Write). A write with a Mark is applied once
	// per mark: a replay of a mark the journal has applied before (after a crash, from the
	// write-ahead spool) writes nothing and returns ErrAlreadyApplied.
	Write(ctx context.Context, w Write) (CallCase, error)
}

// ErrAlreadyApplied is a Journal's answer to a write replayed from the spool that it had already
// applied: nothing was written, nothing is lost.
var ErrAlreadyApplied = errors.New("journal write already applied")

// A Write is one change the call flow makes in the journal, as data rather than a call, so that it
// can wait on disk in the write-ahead spool until the journal has applied it: a crash, a restart or
// a journal that fails for a while loses none. Exactly one of the parts is set.
type Write struct {
	// Mark is where the write waits in the spool (zero: it is not spooled). Set by the writer. A
	// Write with a Mark and no part records the mark alone: the writer's way of saying that the
	// write of that mark was refused, so a replay must skip it too.
	Mark Mark `json:"-"`

	// StartCall records a call's arrival: it opens the leg CallID on the caller's open or
	// delayed-answer phone case if there is one (CallCase.Returning), else on a new phone case;
	// the CallCase answers.
	StartCall *hotline.Leg `json:"start_call,omitempty"`
	// SaveLeg updates the leg CallID: times, operator, recording and, once ended, how. A leg with
	// an operator makes that operator the owner of a case that has none; a leg transferred
	// (TransferredFrom) to another operator after the stored one ended is a new leg of the case.
	SaveLeg *hotline.Leg `json:"save_leg,omitempty"`
	// Topic records the topic an operator keyed for the case of a call.
	Topic *TopicKeyed `json:"topic,omitempty"`
	// Callback makes the case of a call a delayed answer (the caller asked to be called back).
	Callback *CallbackAsked `json:"callback,omitempty"`
	// Presence appends a change of an operator's standing presence (login, logout, pause, resume,
	// handset unreachable) to their presence history.
	Presence *hotline.PresenceEvent `json:"presence,omitempty"`
	// Forward closes a case «forwarded with notice to the caller» to the operator it was
	// transferred to (the case becomes that operator's delayed answer).
	Forward *CaseForwarded `json:"forward,omitempty"`
}

// Mark is a write's place in the write-ahead spool: the spool file's generation and its sequence
// number there.
type Mark struct {
	Spool string
	Seq   uint64
}

// TopicKeyed: an operator keyed topic number Topic (hotline.Topic.Number) for the case of call CallID.
type TopicKeyed struct {
	CallID     string `json:"call_id"`
	OperatorID int64  `json:"operator_id"`
	Topic      int    `json:"topic"`
}

// CallbackAsked: the caller of call CallID asked to be called back; OperatorID owns the delayed
// answer (0: not assigned yet).
type CallbackAsked struct {
	CallID     string `json:"call_id"`
	OperatorID int64  `json:"operator_id,omitempty"`
}

// CaseForwarded: operator By keyed "forwarded with notice" after transferring case CaseID to To.
type CaseForwarded struct {
	CaseID int64 `json:"case_id"`
	By     int64 `json:"by"`
	To     int64 `json:"to"`
}

// kind names the part of w that is set, for logs; "" if none is.
func (w Write) kind() string {
	switch {
	case w.StartCall != nil:
		return "start call"
	case w.SaveLeg != nil:
		return "save leg"
	case w.Topic != nil:
		return "set topic"
	case w.Callback != nil:
		return "delayed answer"
	case w.Presence != nil:
		return "record presence"
	case w.Forward != nil:
		return "forward case"
	}
	return ""
}

// call is the call w is about, for logs.
func (w Write) call() string {
	switch {
	case w.StartCall != nil:
		return w.StartCall.CallID
	case w.SaveLeg != nil:
		return w.SaveLeg.CallID
	case w.Topic != nil:
		return w.Topic.CallID
	case w.Callback != nil:
		return w.Callback.CallID
	}
	return ""
}

// CallCase is the case a call was filed under.
type CallCase struct {
	CaseID    int64
	Number    string // human-facing case number
	OwnerID   int64  // the operator who owns it; 0: none
	Returning bool   // the case was already open (or a delayed answer) when the call arrived
}
