package report

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// Source reads reports' data through the journal's API, on a journal opened read-only (query-only
// connections, SQLite URI mode=ro), so a report can never change the journal and runs beside the
// daemon (WAL: readers do not block its writer). The journal's bulk reads by time range
// (CallRecords, PresenceHistory, CaseStatusChanges, RegisteredCaseCounts, OverdueCases) are made
// for it: the schema and its column lists stay in the journal.
type Source struct {
	st *journal.Store
}

// Open checks the journal at path through the journal package (it exists, is a hotline database
// and is migrated to this build's schema; the errors say what to do) and opens it read-only.
func Open(ctx context.Context, path string) (*Source, error) {
	st, err := journal.Open(ctx, path, journal.Options{ReadOnly: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return nil, err
	}
	if err := st.RequireCurrent(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return &Source{st: st}, nil
}

// FromStore reads reports' data from st, a journal the caller opened and closes (the daemon's,
// for the workplace's report page). Reading never changes it.
func FromStore(st *journal.Store) *Source { return &Source{st: st} }

// Close closes the journal.
func (s *Source) Close() error { return s.st.Close() }

// afterRange: legs that arrived this long after the range are loaded too, only to cap the
// wrap-up of the range's last calls (see wrapUps).
const afterRange = time.Hour

// Calls returns the legs that arrived in [from, to), oldest first, each with its case's number,
// topic and type (journal.CallRecords).
func (s *Source) Calls(ctx context.Context, from, to time.Time) ([]Call, error) {
	recs, err := s.st.CallRecords(ctx, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]Call, len(recs))
	for i, r := range recs {
		out[i] = Call{Leg: r.Leg, Outcome: r.Outcome, Line: r.Line, CaseNumber: r.CaseNumber, Topic: r.Topic, Type: r.Type}
	}
	return out, nil
}

// Rings returns the unanswered offers of the legs that arrived in [from, to) (journal.RingAttempts).
func (s *Source) Rings(ctx context.Context, from, to time.Time) ([]hotline.RingAttempt, error) {
	return s.st.RingAttempts(ctx, from, to)
}

// Operators returns every operator, removed ones too (they answered calls in the past).
func (s *Source) Operators(ctx context.Context) ([]hotline.Operator, error) {
	return s.st.Operators(ctx, journal.OperatorFilter{IncludeRemoved: true})
}

// Presence returns the operators' presence events that shape [from, to): each operator's last
// event before from, then every event in the range (journal.PresenceHistory).
func (s *Source) Presence(ctx context.Context, from, to time.Time) ([]hotline.PresenceEvent, error) {
	if !to.After(from) {
		return nil, nil // an empty range: Compute says so, in the report's words
	}
	return s.st.PresenceHistory(ctx, 0, from, to)
}

// Load reads what Compute needs for o's range (o.AsOf as Compute will default it). Source.Report
// reads the same without holding the range's calls.
func (s *Source) Load(ctx context.Context, from, to, asOf time.Time) (Data, error) {
	return s.load(ctx, Options{From: from, To: to, AsOf: asOf}, true)
}

// load reads what Compute needs for o's range (From, To, AsOf; CallbackWithin as Compute will
// default it); the calls only when withCalls.
func (s *Source) load(ctx context.Context, o Options, withCalls bool) (Data, error) {
	from, to, asOf := o.From, o.To, o.AsOf
	var d Data
	var err error
	if withCalls {
		if d.Calls, err = s.Calls(ctx, from, to.Add(afterRange)); err != nil {
			return d, err
		}
	}
	if d.Operators, err = s.Operators(ctx); err != nil {
		return d, err
	}
	if withCalls {
		if d.Presence, err = s.Presence(ctx, from, to); err != nil {
			return d, err
		}
	} else if to.After(from) {
		// Source.Report: each operator's presence walked as it is read, the events not held.
		w := newPresenceWalk(from, presenceEnd(Options{From: from, To: to, AsOf: asOf}))
		if err := s.st.EachPresence(ctx, from, to, func(e hotline.PresenceEvent) error {
			w.push(e)
			return nil
		}); err != nil {
			return d, err
		}
		d.presenceTimes = w.done()
	}
	if d.Topics, err = s.st.Topics(ctx, "", ""); err != nil {
		return d, err
	}

	// Status changes that may be callbacks: every change into or out of «Отсроченный ответ» since
	// the range began, up to the later of the range's end and AsOf.
	until := to
	if asOf.After(until) {
		until = asOf
	}
	if !withCalls {
		// Source.Report: the callbacks followed as the changes stream by, each with its case's
		// due date read by the same statement (a range of years names tens of thousands of
		// callbacks): neither the changes nor the due dates are held; the registered cases
		// counted by type, by topic and by status apart, each from its index.
		w := callbackWalk{o: o, open: map[int64][]time.Time{}}
		if err := s.st.EachCaseStatusChange(ctx, hotline.StatusDelayedAnswer, from, until, func(c journal.StatusChange, due time.Time) error {
			w.push(StatusChange(c), due)
			return nil
		}); err != nil {
			return d, err
		}
		cb := w.done()
		d.callbacks = &cb
		b, err := s.st.RegisteredCaseBreakdown(ctx, from, to)
		if err != nil {
			return d, err
		}
		d.registered = &b
		// Cases overdue as of asOf, whenever registered.
		if d.Cases, err = s.st.OverdueCases(ctx, asOf); err != nil {
			return d, err
		}
		return d, nil
	}
	changes, err := s.st.CaseStatusChanges(ctx, hotline.StatusDelayedAnswer, from, until)
	if err != nil {
		return d, err
	}
	ids := map[int64]bool{}
	for _, c := range changes {
		d.StatusChanges = append(d.StatusChanges, StatusChange(c))
		ids[c.CaseID] = true
	}
	counts, err := s.st.RegisteredCaseCounts(ctx, from, to)
	if err != nil {
		return d, err
	}
	for _, c := range counts {
		d.Registered = append(d.Registered, CaseGroup(c))
	}

	// Cases overdue as of asOf, whenever registered, and those the callbacks name (few: a
	// range's delayed answers).
	if d.Cases, err = s.st.OverdueCases(ctx, asOf); err != nil {
		return d, err
	}
	for _, c := range d.Cases {
		delete(ids, c.ID)
	}
	missing := make([]int64, 0, len(ids))
	for id := range ids {
		missing = append(missing, id)
	}
	slices.Sort(missing) // a batch's cases near each other in the table, not a map's order
	more, err := s.st.CasesByID(ctx, missing)
	if err != nil {
		return d, err
	}
	d.Cases = append(d.Cases, more...)
	return d, nil
}
