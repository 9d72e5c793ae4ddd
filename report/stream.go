package report

import (
	"context"
	"errors"
	"time"

	"github.com/hotline-dev/hotline/journal"
)

// wrapStream gives each leg of a stream in order of arrival its wrap-up, as wrapUps does for a
// slice, holding only the legs still open: an answered leg waits until the stream has passed its
// answer (a leg arriving later may be answered earlier, and this answer may then cut that leg's
// wrap-up) and, if it ended, its end plus the wrap-up (after which no leg can arrive and be
// answered by its operator soon enough to cut its own). That holds because a leg is answered
// after it arrives; a leg answered before it arrived (a clock stepped back) stops the stream with
// errAnsweredBeforeArrival. Legs come out in the order they went in.
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

// errAnsweredBeforeArrival: the stream cannot decide wrap-ups in one pass (wrapStream).
var errAnsweredBeforeArrival = errors.New("a leg was answered before it arrived")

func (w *wrapStream) push(c Call) error {
	answered := c.OperatorID != 0 && !c.AnsweredAt.IsZero()
	if answered && c.AnsweredAt.Before(c.ArrivedAt) {
		return errAnsweredBeforeArrival
	}
	l := wrapLeg{c: c, final: !answered}
	if answered {
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
	return nil
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
	if n > 0 {
		w.pending = append(w.pending[:0], w.pending[n:]...)
	}
}

// streamed makes the report of d with o, its calls read one at a time in order of arrival
// (journal.EachReportLeg) and counted in Go as Compute counts them, each leg's wrap-up decided
// as the legs stream by (wrapStream): one pass over the range's legs, nothing sorted, nothing
// held but the legs still open. rest, when not nil, is called once the calls are counted (or
// found to need summing instead): it completes d (Report reads the rest of the range meanwhile). A
// journal with a leg answered before it arrived is summed by the database instead (summed),
// whose window needs no order of arrival.
func (s *Source) streamed(ctx context.Context, d *Data, o Options, now time.Time, rest func() error) (*Report, error) {
	r, err := compute(d, o, now, func(o Options, t *tally) error {
		w := &wrapStream{wrap: o.WrapUp, out: t.add}
		err := s.st.EachReportLeg(ctx, o.From, o.To.Add(afterRange), func(l journal.ReportLeg) error {
			return w.push(Call{Leg: l.Leg, Topic: l.Topic})
		})
		if err == nil {
			w.flush(time.Time{})
		}
		if rest != nil && (err == nil || errors.Is(err, errAnsweredBeforeArrival)) {
			// The rest's error first when the calls must be summed instead: that needs it all.
			// (On another error the rest is not waited for: the caller cancels it.)
			if rerr := rest(); rerr != nil {
				err = rerr
			}
		}
		return err
	})
	if errors.Is(err, errAnsweredBeforeArrival) {
		return s.summed(ctx, *d, o, now)
	}
	return r, err
}
