package journal

import (
	"context"
	"strconv"

	"github.com/hotline-dev/hotline"
	"github.com/jmoiron/sqlx"
)

// Supervision is a step of an administrator listening to a call (the switchboard's supervise.go):
// started in a mode, the mode changed, or ended.
type Supervision struct {
	Channel    string // the call's channel (the switchboard's call id)
	OperatorID int64  // the operator whose conversation it is
	By         string // the administrator's login
	Extension  string // the device they listen on
	What       string // SupervisionListen, SupervisionWhisper, SupervisionBarge, SupervisionEnded
	Why        string // with SupervisionEnded
}

// The steps of a supervision; the history's action is "supervision " and the step.
const (
	SupervisionListen  = "listen"
	SupervisionWhisper = "whisper"
	SupervisionBarge   = "barge"
	SupervisionEnded   = "ended"
)

// CallEntity is the history's entity for events about a call (its id: the journal's call id).
const CallEntity = "call"

// NoteSupervision writes a supervision step in the history of the call, as done by the
// administrator By: the caller is not told, so the journal must be.
func (s *Store) NoteSupervision(ctx context.Context, n Supervision) error {
	switch n.What {
	case SupervisionListen, SupervisionWhisper, SupervisionBarge, SupervisionEnded:
	default:
		return hotline.Errorf(hotline.EINVALID, "a supervision listens, whispers, barges or ends, not %q", clip(n.What))
	}
	if n.By == "" {
		return hotline.Errorf(hotline.EINVALID, "a supervision without the administrator's login")
	}
	for _, f := range []struct{ name, v string }{{"call", n.Channel}, {"login", n.By}, {"extension", n.Extension}, {"reason", n.Why}} {
		if len(f.v) > hotline.MaxNameLen {
			return hotline.Errorf(hotline.EINVALID, "supervision: %s is longer than %d bytes", f.name, hotline.MaxNameLen)
		}
	}
	return s.write(ctx, "note a supervision", func(tx *sqlx.Tx) error {
		call, err := callByChannel(ctx, tx, n.Channel)
		if err != nil {
			return err
		}
		changes := []Change{{Field: "operator", To: strconv.FormatInt(n.OperatorID, 10)}}
		if n.Extension != "" {
			changes = append(changes, Change{Field: "extension", To: n.Extension})
		}
		if n.Why != "" {
			changes = append(changes, Change{Field: "reason", To: n.Why})
		}
		return s.record(ctx, tx, hotline.Actor{Login: n.By}, CallEntity, call.ID, 0, "supervision "+n.What, changes)
	})
}

// NoteCallCut writes in the history of call channel that Asterisk hung up the channel of side
// ("caller" or "operator") by itself, with the Q.850 cause of its hangup request: the leg says
// "failed", the history says what happened (e.g. a softphone whose media stopped).
func (s *Store) NoteCallCut(ctx context.Context, channel, side string, cause int) error {
	if side != string(hotline.SideCaller) && side != string(hotline.SideOperator) {
		return hotline.Errorf(hotline.EINVALID, "a call is cut on the caller's or the operator's side, not %q", clip(side))
	}
	return s.write(ctx, "note a cut call", func(tx *sqlx.Tx) error {
		call, err := callByChannel(ctx, tx, channel)
		if err != nil {
			return err
		}
		return s.record(ctx, tx, hotline.SystemActor, CallEntity, call.ID, 0, "cut by Asterisk",
			[]Change{{Field: "side", To: side}, {Field: "cause", To: strconv.Itoa(cause)}})
	})
}
