// Package journaladapter lets the switchboard file calls in the journal: it adapts *journal.Store to
// switchboard.Journal. The store's call-flow methods already speak the switchboard's language (by
// call id); only the operator list and the case type differ. Presence (RecordPresence,
// LastPresence) is the store's own.
package journaladapter

import (
	"context"
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

// StartCall files an arriving call.
func (j Journal) StartCall(ctx context.Context, leg hotline.Leg) (switchboard.CallCase, error) {
	cc, err := j.Store.StartCall(ctx, leg)
	if err != nil {
		return switchboard.CallCase{}, err
	}
	return switchboard.CallCase(cc), nil
}

var _ switchboard.SpecialistJournal = Journal{}

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

var _ switchboard.ForwardJournal = Journal{}

// ForwardCase closes case caseID, as operator by, with "forwarded with notice" to operator to:
// the case becomes a delayed answer of to's.
func (j Journal) ForwardCase(ctx context.Context, caseID, by, to int64) error {
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
