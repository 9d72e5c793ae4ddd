package switchboard

import (
	"context"

	"github.com/hotline-dev/hotline"
)

// Journal is what the switchboard needs from the case journal. Every method may block on the disk;
// the switchboard calls them from its own writer goroutine, one at a time, in the order the loop
// asked for them, never on the loop. Legs are identified by the call's id (the caller's Asterisk
// channel id), which the loop knows from the first event, so no write waits for another's result.
type Journal interface {
	// Operators returns the operators in service, to match handsets (Extension) to operators.
	Operators(ctx context.Context) ([]hotline.Operator, error)
	// StartCall records a call's arrival: it opens the leg leg.CallID on the caller's open or
	// delayed-answer phone case if there is one (Returning), else on a new phone case, and
	// returns the case.
	StartCall(ctx context.Context, leg hotline.Leg) (CallCase, error)
	// SaveCallLeg updates the leg leg.CallID: times, operator, recording and, once ended, how.
	// A leg with an operator makes that operator the owner of a case that has none.
	SaveCallLeg(ctx context.Context, leg hotline.Leg) error
	// SetCallTopic records the topic (its handset number, hotline.Topic.Number) an operator keyed for
	// the case of the call.
	SetCallTopic(ctx context.Context, callID string, operatorID int64, topic int) error
	// AwaitCallback makes the case of the call a delayed answer (the caller asked to be called
	// back) owned by operatorID; 0: not assigned yet.
	AwaitCallback(ctx context.Context, callID string, operatorID int64) error
	// RecordPresence appends a change of an operator's standing presence (login, logout, pause,
	// resume, handset unreachable) to their presence history.
	RecordPresence(ctx context.Context, e hotline.PresenceEvent) error
	// LastPresence returns each operator's latest presence event, to restore after a restart.
	LastPresence(ctx context.Context) ([]hotline.PresenceEvent, error)
}

// CallCase is the case a call was filed under.
type CallCase struct {
	CaseID    int64
	Number    string // human-facing case number
	OwnerID   int64  // the operator who owns it; 0: none
	Returning bool   // the case was already open (or a delayed answer) when the call arrived
}
