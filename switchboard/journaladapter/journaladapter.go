// Package journaladapter lets the switchboard file calls in the journal: it adapts *journal.Store to
// switchboard.Journal. The store's call-flow methods already speak the switchboard's language (by
// call id); only the operator list and the case type differ. Presence (RecordPresence,
// LastPresence) is the store's own.
package journaladapter

import (
	"context"
	"errors"
	"fmt"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/switchboard"
)

// Journal is a switchboard.Journal over a journal store.
type Journal struct {
	*journal.Store
}

var _ switchboard.Journal = Journal{}

// Operators returns the operators in service (removed ones are not).
func (j Journal) Operators(ctx context.Context) ([]hotline.Operator, error) {
	return j.Store.Operators(ctx, journal.OperatorFilter{})
}

// Write applies one of the switchboard's writes in one transaction, claiming its spool mark in
// that transaction (journal.WithWriteMark), so a replay after a crash is skipped, never doubled.
func (j Journal) Write(ctx context.Context, w switchboard.Write) (switchboard.CallCase, error) {
	if w.Mark.Spool != "" {
		ctx = journal.WithWriteMark(ctx, journal.WriteMark{Spool: w.Mark.Spool, Seq: w.Mark.Seq})
	}
	cc, err := j.write(ctx, w)
	if errors.Is(err, journal.ErrAlreadyApplied) {
		return switchboard.CallCase{}, fmt.Errorf("%w: %w", switchboard.ErrAlreadyApplied, err)
	}
	return cc, err
}

func (j Journal) write(ctx context.Context, w switchboard.Write) (switchboard.CallCase, error) {
	var err error
	switch {
	case w.StartCall != nil:
		cc, err := j.Store.StartCall(ctx, *w.StartCall)
		return switchboard.CallCase(cc), err
	case w.SaveLeg != nil:
		err = j.Store.SaveCallLeg(ctx, *w.SaveLeg)
	case w.Topic != nil:
		err = j.Store.SetCallTopic(ctx, w.Topic.CallID, w.Topic.OperatorID, w.Topic.Topic)
	case w.Callback != nil:
		err = j.Store.AwaitCallback(ctx, w.Callback.CallID, w.Callback.OperatorID)
	case w.Presence != nil:
		err = j.Store.RecordPresence(ctx, *w.Presence)
	case w.Forward != nil:
		err = j.forwardCase(ctx, *w.Forward)
	case w.Mark.Spool != "":
		err = j.Store.ClaimWriteMark(ctx)
	default:
		err = hotline.Errorf(hotline.EINVALID, "an empty journal write")
	}
	return switchboard.CallCase{}, err
}

var _ switchboard.SpecialistJournal = Journal{}
var _ switchboard.CallbackJournal = Journal{}

// Specialists lists, by id, the active level-2 specialists the scripts of the topic with handset
// number topicNumber recommend, in order of preference.
func (j Journal) Specialists(ctx context.Context, topicNumber int) ([]int64, error) {
	t, err := j.Store.TopicByNumber(ctx, topicNumber)
	if err != nil {
		return nil, fmt.Errorf("topic %d: %w", topicNumber, err)
	}
	ops, err := j.Store.RecommendedSpecialists(ctx, t.Code)
	if err != nil {
		return nil, fmt.Errorf("specialists for topic %s: %w", t.Code, err)
	}
	ids := make([]int64, len(ops))
	for i, o := range ops {
		ids[i] = o.ID
	}
	return ids, nil
}

// forwardCase closes the case, as the operator who transferred it, with "forwarded with notice" to
// the operator it went to: the case becomes a delayed answer of theirs.
func (j Journal) forwardCase(ctx context.Context, f switchboard.CaseForwarded) error {
	caseID, by, to := f.CaseID, f.By, f.To
	op, err := j.Store.Operator(ctx, by)
	if err != nil {
		return fmt.Errorf("forward case %d: %w", caseID, err)
	}
	actor := hotline.Actor{Login: op.Login, OperatorID: op.ID, Role: op.Role}
	_, err = j.Store.CloseCase(ctx, actor, caseID, hotline.Closing{Result: hotline.ResultForwarded, ForwardTo: to,
		Comment: "transferred on the handset; the caller was told who takes the case"})
	if err != nil {
		return fmt.Errorf("forward case %d: %w", caseID, err)
	}
	return nil
}
