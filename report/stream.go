package report

import (
	"cmp"
	"context"
	"time"

	"github.com/hotline-dev/hotline/journal"
)

// wrapStream gives each leg of a stream in order of arrival its wrap-up, as wrapUps does for a
// slice, holding only the legs still open: an answered leg waits until the stream has passed its
// answer (a leg arriving later may be answered earlier, and this answer may then cut that leg's
// wrap-up) and, if it ended, its end plus the wrap-up (after which no leg can arrive and be
// answered by its operator soon enough to cut its own; a leg is answered after it arrives). Legs
// come out in the order they went in.
type wrapStream struct {
	wrap    time.Duration
	pending []wrapLeg // in arrival order; the first ones final are given out
	out     func(Call, time.Duration)
}

type wrapLeg struct {
	c     Call
	next  time.Time // the earliest answer after this one by the same operator, so far
	final bool
}

// answerOrder orders two answered legs as wrapUps sorts them (then by arrival and id, so that
// ties are decided the same way whatever the order they are read in).
func answerOrder(a, b Call) int {
	return cmp.Or(a.AnsweredAt.Compare(b.AnsweredAt), a.ArrivedAt.Compare(b.ArrivedAt), cmp.Compare(a.ID, b.ID))
}

func (w *wrapStream) push(c Call) {
	l := wrapLeg{c: c, final: c.OperatorID == 0 || c.AnsweredAt.IsZero()}
	if c.OperatorID != 0 && !c.AnsweredAt.IsZero() {
		for i := range w.pending {
			p := &w.pending[i]
			if p.c.OperatorID != c.OperatorID || p.c.AnsweredAt.IsZero() {
				continue
			}
			if answerOrder(p.c, c) < 0 {
				if p.next.IsZero() || c.AnsweredAt.Before(p.next) {
					p.next = c.AnsweredAt
				}
			} else if l.next.IsZero() || p.c.AnsweredAt.Before(l.next) {
				l.next = p.c.AnsweredAt
			}
		}
	}
	w.pending = append(w.pending, l)
	w.flush(c.ArrivedAt)
}

// flush makes final the legs whose wrap-up no leg arriving at or after t can cut, and gives out
// the leading final ones. A zero t: the stream has ended; every leg is final.
func (w *wrapStream) flush(t time.Time) {
	for i := range w.pending {
		p := &w.pending[i]
		if !p.final && (t.IsZero() || p.c.AnsweredAt.Before(t) && (p.c.EndedAt.IsZero() || p.c.EndedAt.Add(w.wrap).Before(t))) {
			p.final = true
		}
	}
	n := 0
	for n < len(w.pending) && w.pending[n].final {
		p := w.pending[n]
		var wrap time.Duration
		if p.c.OperatorID != 0 && !p.c.AnsweredAt.IsZero() && !p.c.EndedAt.IsZero() {
			wrap = w.wrap
			if !p.next.IsZero() {
				if gap := p.next.Sub(p.c.EndedAt); gap < wrap {
					wrap = max(gap, 0)
				}
			}
		}
		w.out(p.c, wrap)
		n++
	}
	w.pending = append(w.pending[:0], w.pending[n:]...)
}

// Report reads o's range from the journal and makes its report, reading the calls one at a time
// (journal.EachCallRecord) instead of holding the range's calls: a report over years of a fund's
// calls takes the memory of a day's. now is the wall clock, used only to default AsOf.
func (s *Source) Report(ctx context.Context, o Options, now time.Time) (*Report, error) {
	od, err := o.withDefaults(now)
	if err != nil {
		return nil, err
	}
	d, err := s.load(ctx, od.From, od.To, od.AsOf, false)
	if err != nil {
		return nil, err
	}
	return compute(d, o, now, func(o Options, add func(Call, time.Duration)) error {
		w := &wrapStream{wrap: o.WrapUp, out: add}
		err := s.st.EachCallRecord(ctx, o.From, o.To.Add(afterRange), func(r journal.CallRecord) error {
			w.push(Call{Leg: r.Leg, Outcome: r.Outcome, Line: r.Line, CaseNumber: r.CaseNumber, Topic: r.Topic, Type: r.Type})
			return nil
		})
		if err != nil {
			return err
		}
		w.flush(time.Time{})
		return nil
	})
}
