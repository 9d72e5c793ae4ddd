package web

import (
	"context"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/switchboard"
)

// Calls is what the workplace asks of the call flow: the same requests the handset's feature
// codes make, attributed to the logged-in user. Whether the user may ask is decided by the same
// rules as for the handset, the CLI and the control socket (hotline.Actor.MayControl and the
// switchboard's own checks); the page only offers the buttons.
type Calls interface {
	// Login is «Начало работы»: the operator takes calls.
	Login(ctx context.Context, by hotline.Actor, operatorID int64) error
	// Pause is a pause with a reason code (hotline.ValidPauseReason).
	Pause(ctx context.Context, by hotline.Actor, operatorID int64, reason string) error
	// Resume ends a pause.
	Resume(ctx context.Context, by hotline.Actor, operatorID int64) error
	// Logout is «Завершить»: no more offers; a call in progress goes on to its end.
	Logout(ctx context.Context, by hotline.Actor, operatorID int64) error
	// Transfer moves the caller of call callID, talking with operatorID, to operator to: the
	// same transfer as the handset's *<extension> (the caller is never dropped: a target that
	// does not answer leaves the caller with operatorID).
	Transfer(ctx context.Context, by hotline.Actor, operatorID int64, callID string, to int64) error
	// CallBack dials number for operatorID, who must be free: hotline calls the person (the
	// operator is reserved meanwhile) and, when they answer, rings the operator's device; the
	// call is bridged and recorded like any call, and the attempt is recorded on case caseID.
	CallBack(ctx context.Context, by hotline.Actor, operatorID int64, number string, caseID int64) error
	// ReloadOperators makes the call flow read the operators again after an administrator
	// changed them (level, skills, extension, removal from service).
	ReloadOperators(ctx context.Context, by hotline.Actor) error
	// Listen makes administrator by listen to call callID on their own device, whisper to the
	// operator, join the call, or stop (switchboard.ListenMode).
	Listen(ctx context.Context, by hotline.Actor, callID string, mode switchboard.ListenMode) error
}

// CallsOf acts through sb.
func CallsOf(sb *switchboard.Switchboard) Calls { return switchboardCalls{sb} }

type switchboardCalls struct{ *switchboard.Switchboard }

var _ Calls = switchboardCalls{}
