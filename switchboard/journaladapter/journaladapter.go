// Package journaladapter lets the switchboard file calls in the journal: it adapts *journal.Store to
// switchboard.Journal. The store's call-flow methods already speak the switchboard's language (by
// call id); only the operator list and the case type differ. Presence (RecordPresence,
// LastPresence) is the store's own.
package journaladapter

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/informing"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/outbox"
	"github.com/hotline-dev/hotline/switchboard"
)

// Journal is a switchboard.Journal over a journal store.
type Journal struct {
	*journal.Store
	// DelayedAnswers is the rule for the «Отсроченный ответ» cases voice messages and callback
	// requests open (config calls.delayed_answer_owner, calls.delayed_answer_due).
	DelayedAnswers journal.DelayedAnswerRule
}

// The switchboard requires every method of its Journal: checked here, at compile time.
var _ switchboard.Journal = Journal{}

// Operators returns the operators in service (removed ones are not).
func (j Journal) Operators(ctx context.Context) ([]hotline.Operator, error) {
	return j.Store.Operators(ctx, journal.OperatorFilter{})
}

// Begin begins a batch (journal.Store.BeginBatch): the writes applied with the ctx it returns
// share one transaction (outbox.Batcher: the outbox's group commit), without a savepoint each
// (journal.Batch.AllOrNothing): the outbox redoes a batch that a write's failure spoiled.
func (j Journal) Begin(ctx context.Context) (context.Context, outbox.Batch, error) {
	b, err := j.Store.BeginBatch(ctx)
	if err != nil {
		return ctx, nil, err
	}
	b.AllOrNothing()
	return b.Context(ctx), b, nil
}

// BeginLogged begins a logged batch (journal.Store.BeginLoggedBatch): for writes the outbox keeps
// in its spool until Sync, so that the batch's commit needs no fsync of its own.
func (j Journal) BeginLogged(ctx context.Context) (context.Context, outbox.Batch, error) {
	b, err := j.Store.BeginLoggedBatch(ctx)
	if err != nil {
		return ctx, nil, err
	}
	b.AllOrNothing()
	return b.Context(ctx), b, nil
}

// Sync makes every write committed so far durable (journal.Store.SyncWrites): the spool's barrier
// before it drops a file.
func (j Journal) Sync(ctx context.Context) error { return j.Store.SyncWrites(ctx) }

var _ outbox.LoggedBatcher = Journal{}

// Write applies one of the switchboard's writes in one transaction, claiming its spool mark in
// that transaction (journal.WithWriteMark), so a replay after a crash is skipped, never doubled.
func (j Journal) Write(ctx context.Context, w switchboard.Write) (switchboard.Filed, error) {
	if w.Mark.Spool != "" {
		ctx = journal.WithWriteMark(ctx, journal.WriteMark{Spool: w.Mark.Spool, Seq: w.Mark.Seq})
	}
	f, err := j.write(ctx, w)
	if errors.Is(err, journal.ErrAlreadyApplied) {
		return switchboard.Filed{}, fmt.Errorf("%w: %w", outbox.ErrAlreadyApplied, err)
	}
	return f, err
}

func (j Journal) write(ctx context.Context, w switchboard.Write) (switchboard.Filed, error) {
	var err error
	switch {
	case w.StartCall != nil:
		st := w.StartCall
		f, err := j.Store.StartCall(ctx, journal.CallStart{CallID: st.CallID, CallerNumber: st.CallerNumber, Line: st.Line,
			CallbackFor: st.CallbackFor, ArrivedAt: st.ArrivedAt, QueuedAt: st.QueuedAt})
		return switchboard.Filed{OwnerID: f.OwnerID, OpenCases: f.OpenCases}, err
	case w.SaveLeg != nil:
		err = j.Store.SaveCallLeg(ctx, *w.SaveLeg, w.Outcome)
	case w.Topic != nil:
		_, err = j.Store.KeyTopic(ctx, w.Topic.CallID, w.Topic.OperatorID, w.Topic.Topic)
	case w.Callback != nil && w.Callback.OperatorID == 0:
		_, err = j.Store.OpenDelayedAnswer(ctx, w.Callback.CallID, journal.DelayedCallback, j.DelayedAnswers)
	case w.Callback != nil:
		err = j.Store.GiveCallback(ctx, w.Callback.CallID, w.Callback.OperatorID)
	case w.Message != nil:
		_, err = j.Store.OpenDelayedAnswer(ctx, w.Message.CallID, journal.DelayedMessage, j.DelayedAnswers)
	case w.Connected != nil:
		err = j.Store.CallbackConnected(ctx, w.Connected.CallID, w.Connected.OperatorID)
	case w.Presence != nil:
		err = j.Store.RecordPresence(ctx, *w.Presence)
	case w.Forward != nil:
		err = j.forward(ctx, *w.Forward)
	case w.CaseCallback != nil:
		n := w.CaseCallback
		err = j.Store.NoteCaseCallback(ctx, journal.CaseCallback{CaseID: n.CaseID, OperatorID: n.OperatorID, Number: n.Number,
			Channel: n.CallID, What: n.What, Why: n.Why, By: n.By})
	case w.Ring != nil:
		err = j.Store.RecordRingAttempt(ctx, *w.Ring)
	case w.Supervised != nil:
		n := w.Supervised
		err = j.Store.NoteSupervision(ctx, journal.Supervision{Channel: n.CallID, OperatorID: n.OperatorID, By: n.By,
			Extension: n.Extension, What: n.What, Why: n.Why})
	case w.Cut != nil:
		err = j.Store.NoteCallCut(ctx, w.Cut.CallID, string(w.Cut.Side), w.Cut.Cause)
	case w.Mark.Spool != "":
		err = j.Store.ClaimWriteMark(ctx)
	default:
		err = hotline.Errorf(hotline.EINVALID, "an empty journal write")
	}
	return switchboard.Filed{}, err
}

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

// forward applies «*26»: the case of the call the operator works is handed to the colleague who
// answered, or forwarded with notice to the one who did not (journal.Store.ForwardCall). A write
// spooled by an earlier version names the case instead of the call: it is forwarded with notice,
// as that version did.
func (j Journal) forward(ctx context.Context, f switchboard.CaseForwarded) error {
	if f.CallID == "" && f.CaseID != 0 {
		op, err := j.Store.Operator(ctx, f.By)
		if err != nil {
			return fmt.Errorf("forward case %d: %w", f.CaseID, err)
		}
		actor := hotline.Actor{Login: op.Login, OperatorID: op.ID, Role: op.Role}
		_, err = j.Store.CloseCase(ctx, actor, f.CaseID, hotline.Closing{Result: hotline.ResultForwarded, ForwardTo: f.To,
			Comment: "transferred on the handset; the caller was told who takes the case"})
		return err
	}
	_, err := j.Store.ForwardCall(ctx, journal.Forwarded{Channel: f.CallID, By: f.By, To: f.To, Reached: f.Reached})
	if err != nil {
		return fmt.Errorf("forward the case of call %s: %w", f.CallID, err)
	}
	return nil
}

// Campaigns is a switchboard.Campaigns over a journal store: the progressive dialler's claims and
// attempts, decided by Plan (the configuration's informing section).
type Campaigns struct {
	Store *journal.Store
	Plan  informing.Plan
}

var _ switchboard.Campaigns = Campaigns{}

// ClaimInforming claims the next person of a campaign for a representative.
func (c Campaigns) ClaimInforming(ctx context.Context, campaignID, operatorID int64, now time.Time) (switchboard.InformingClaim, error) {
	cl, err := c.Store.ClaimInforming(ctx, campaignID, operatorID, c.Plan, now)
	return switchboard.InformingClaim{PersonID: cl.PersonID, Number: cl.Number, Wake: cl.Wake, Awaiting: cl.Awaiting}, err
}

// RecordInformingAttempt files a dialling's end.
func (c Campaigns) RecordInformingAttempt(ctx context.Context, a switchboard.InformingAttempt) error {
	return c.Store.RecordInformingAttempt(ctx, journal.InformingAttempt{CampaignID: a.CampaignID, PersonID: a.PersonID,
		OperatorID: a.OperatorID, Number: a.Number, Outcome: a.Outcome, CallID: a.CallID, Cause: a.Cause,
		At: a.DialledAt, EndedAt: a.EndedAt}, c.Plan)
}
