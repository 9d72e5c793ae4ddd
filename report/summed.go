package report

import (
	"cmp"
	"context"
	"time"

	"github.com/hotline-dev/hotline/journal"
)

// answerOrder orders two answered legs as wrapUps sorts them: by answer, then by arrival and id,
// so that ties are decided the same way however they are read (the journal's sums order them
// so too).
func answerOrder(a, b Call) int {
	return cmp.Or(a.AnsweredAt.Compare(b.AnsweredAt), a.ArrivedAt.Compare(b.ArrivedAt), cmp.Compare(a.ID, b.ID))
}

// Report reads o's range from the journal and makes its report. The calls are read one at a
// time in order of arrival and counted as they stream by (streamed; journal.EachReportLeg), no
// leg held but the few still open; meanwhile the rest of the range (presence, callbacks, case
// counts, due dates) is read on another of the journal's connections, so the two halves use the
// machine's two cores. It is the report Compute makes from Load's slices
// (TestReportSummedAsComputed). now is the wall clock, used only to default AsOf.
func (s *Source) Report(ctx context.Context, o Options, now time.Time) (*Report, error) {
	od, err := o.withDefaults(now)
	if err != nil {
		return nil, err
	}
	// The names compute labels rows with, before the calls are counted.
	var d Data
	if d.Operators, err = s.Operators(ctx); err != nil {
		return nil, err
	}
	if d.Topics, err = s.st.Topics(ctx, "", ""); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var rest Data
	loaded := make(chan error, 1)
	go func() {
		var err error
		rest, err = s.load(ctx, od, false)
		loaded <- err
	}()
	waited := false
	wait := func() error {
		waited = true
		err := <-loaded
		d = rest
		return err
	}
	r, err := s.streamed(ctx, &d, o, now, wait)
	if !waited { // compute refused o before counting, or reading the calls failed
		cancel()
		<-loaded
	}
	return r, err
}

// summed makes the report of d with o, its calls summed by the journal (d.Calls is not read).
func (s *Source) summed(ctx context.Context, d Data, o Options, now time.Time) (*Report, error) {
	return compute(&d, o, now, func(o Options, t *tally) error {
		loc := o.Location
		q := journal.LegSumsQuery{From: o.From, To: o.To, WrapUntil: o.To.Add(afterRange), WrapUp: o.WrapUp,
			SLTargets: o.SLTargets, ShortAbandon: o.ShortAbandon,
			Zone: func(at time.Time) int { _, off := at.In(loc).Zone(); return off }}
		return s.st.LegSums(ctx, q, func(g journal.LegSums) error {
			t.addSums(g)
			return nil
		})
	})
}
