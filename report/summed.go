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

// Report reads o's range from the journal and makes its report. The call figures are summed by
// the database (journal.LegSums: by local day and hour, by topic, by operator, each leg's wrap-up
// cut at its operator's next answer by a window over the legs), so no leg comes to Go: a report
// over three years of a fund's calls reads a few thousand rows of sums. It is the report Compute
// makes from Load's slices (TestReportSummedAsComputed). now is the wall clock, used only to
// default AsOf.
func (s *Source) Report(ctx context.Context, o Options, now time.Time) (*Report, error) {
	od, err := o.withDefaults(now)
	if err != nil {
		return nil, err
	}
	d, err := s.load(ctx, od.From, od.To, od.AsOf, false)
	if err != nil {
		return nil, err
	}
	return s.summed(ctx, d, o, now)
}

// summed makes the report of d with o, its calls summed by the journal (d.Calls is not read).
func (s *Source) summed(ctx context.Context, d Data, o Options, now time.Time) (*Report, error) {
	return compute(d, o, now, func(o Options, t *tally) error {
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
